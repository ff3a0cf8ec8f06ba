# Distribution handshake, protocol version 6: the message payloads of
# erl_dist_protocol.md "Distribution Handshake" and the capability flags of
# "Distribution Flags". Hand-written from the specification (and
# erts/emulator/beam/dist.h where the document is known to be wrong); read by
# codegen/ only.
#
# Framing is not part of these types: each message arrives inside a 2-byte
# length frame over TCP, a 4-byte one over TLS (framing.ksy). The root type is a
# namespace: which message comes next depends on the direction and the step, so
# the state machine picks the type to decode.
meta:
  id: handshake
  title: Erlang distribution handshake messages (version 6) and distribution flags
  endian: be
doc: |
  Namespace for the handshake messages; there is nothing to parse at the root.
  'N' is used by both send_name (A to B) and send_challenge (B to A) with
  different layouts, and 's' carries both plain statuses and the 'named:' form.
doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Distribution Handshake"
-beamwire:
  codec: reference-only
types:
  send_name:
    doc: |
      Step 2, A to B: the new send_name ('N') for protocol version 6. Flags must
      include HANDSHAKE_23. Name is the full node name of A, or only the host
      when DFLAG_NAME_ME is set (then Creation is 0). Extra bytes after Name
      must be accepted and ignored.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "New send_name ('N') for protocol version 6"
    seq:
      - id: tag
        contents: [0x4e]
        doc: "'N'"
      - id: flags
        type: u8
        doc: Capability flags of A, a bit set of `dflag`.
      - id: creation
        type: u4
        doc: Incarnation of A, used in its pids, ports and references.
      - id: nlen
        type: u2
      - id: name
        type: str
        size: nlen
        encoding: UTF-8
      - id: extra
        size-eos: true
        doc: Ignored by the receiver.
  old_send_name:
    doc: |
      Step 2, A to B: the old send_name ('n'), sent only by OTP 23/24 nodes that
      do not use EPMD. Version must be 5, Flags are the low 32 flag bits and
      must include HANDSHAKE_23, Name runs to the end of the message. It is
      followed by send_complement once the challenge has arrived.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "Old send_name ('n') for protocol version 5"
    seq:
      - id: tag
        contents: [0x6e]
        doc: "'n'"
      - id: version
        type: u2
        doc: Always 5, even though A supports version 6.
      - id: flags
        type: u4
        doc: The low 32 capability flags of A (`dflag`).
      - id: name
        size-eos: true
        doc: The full node name of A.
  send_status:
    doc: |
      Step 3, B to A: the status message, a string that is not NUL-terminated:
      ok, ok_simultaneous, nok, not_allowed or alive. Step 3B uses the same
      layout from A to B with true or false after an 'alive'. A status that
      starts with 'named:' has the layout of send_status_named instead.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "The format of the status message"
    seq:
      - id: tag
        contents: [0x73]
        doc: "'s'"
      - id: status
        size-eos: true
        doc: ASCII status text.
  send_status_named:
    doc: |
      Step 3, B to A: the 'named:' status, sent only when A set DFLAG_NAME_ME.
      Name is A's full dynamic node name, Creation the incarnation B generated
      for A. Extra bytes after Creation must be accepted and ignored.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "The format of the 'named:' status message"
    seq:
      - id: tag
        contents: [0x73]
        doc: "'s'"
      - id: status
        contents: [0x6e, 0x61, 0x6d, 0x65, 0x64, 0x3a]
        doc: "'named:'"
      - id: nlen
        type: u2
      - id: name
        type: str
        size: nlen
        encoding: UTF-8
      - id: creation
        type: u4
      - id: extra
        size-eos: true
        doc: Ignored by the receiver.
  send_challenge:
    doc: |
      Step 4, B to A: the challenge ('N'). Same tag as send_name but Challenge
      comes before Creation. The other fields are B's flags, creation and full
      node name; the name must equal the one A dialled. Extra bytes after Name
      must be accepted and ignored.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "The new challenge message format (version 6)"
    seq:
      - id: tag
        contents: [0x4e]
        doc: "'N'"
      - id: flags
        type: u8
        doc: Capability flags of B, a bit set of `dflag`.
      - id: challenge
        type: u4
      - id: creation
        type: u4
      - id: nlen
        type: u2
      - id: name
        type: str
        size: nlen
        encoding: UTF-8
      - id: extra
        size-eos: true
        doc: Ignored by the receiver.
  send_complement:
    doc: |
      Step 4B, A to B: the complement ('c'), only after an old send_name. It
      carries the high 32 flag bits and A's creation.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "The complement message"
    seq:
      - id: tag
        contents: [0x63]
        doc: "'c'"
      - id: flags_high
        type: u4
        doc: Capability flags 32..63 of A.
      - id: creation
        type: u4
  challenge_reply:
    doc: |
      Step 5, A to B: A's own challenge and its digest of B's challenge. Exactly
      21 bytes; OTP closes the connection on any other length.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "The challenge_reply message"
    seq:
      - id: tag
        contents: [0x72]
        doc: "'r'"
      - id: challenge
        type: u4
        doc: A's challenge for B.
      - id: digest
        size: 16
        doc: MD5(cookie ++ decimal(B's challenge)).
  challenge_ack:
    doc: |
      Step 6, B to A: B's digest of A's challenge. Exactly 17 bytes.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "The Handshake in Detail", table "The challenge_ack message"
    seq:
      - id: tag
        contents: [0x61]
        doc: "'a'"
      - id: digest
        size: 16
        doc: MD5(cookie ++ decimal(A's challenge)).
enums:
  dflag:
    # One entry per flag of "Distribution Flags", with dist.h's values.
    # DFLAG_MANDATORY_25_DIGEST is bit 26 as in dist.h and on the wire; the
    # document's "(1 bsl 36)" is wrong.
    0x1:
      id: published
      doc: The node is to be published and part of the global namespace (visible, not hidden).
    0x2:
      id: atom_cache
      doc: Obsolete atom cache.
    0x4:
      id: extended_references
      doc: Extended (3 x 32 bits) references. Mandatory.
    0x8:
      id: dist_monitor
      doc: Distributed process monitoring.
    0x10:
      id: fun_tags
      doc: Separate tags for funs. Mandatory.
    0x20:
      id: dist_monitor_name
      doc: Distributed monitoring of registered names.
    0x40:
      id: hidden_atom_cache
      doc: Obsolete atom cache of hidden nodes.
    0x80:
      id: new_fun_tags
      doc: Understands NEW_FUN_EXT. Mandatory.
    0x100:
      id: extended_pids_ports
      doc: Extended pids and ports. Mandatory.
    0x200:
      id: export_ptr_tag
      doc: Understands EXPORT_EXT. Mandatory.
    0x400:
      id: bit_binaries
      doc: Understands BIT_BINARY_EXT. Mandatory.
    0x800:
      id: new_floats
      doc: Understands NEW_FLOAT_EXT. Mandatory.
    0x1000:
      id: unicode_io
      doc: Unicode I/O protocol.
    0x2000:
      id: dist_hdr_atom_cache
      doc: Atom cache in the distribution header.
    0x4000:
      id: small_atom_tags
      doc: Understands SMALL_ATOM_EXT.
    0x8000:
      id: ets_compressed
      doc: Internal to erts (dist.h); never on the wire.
    0x10000:
      id: utf8_atoms
      doc: Understands ATOM_UTF8_EXT and SMALL_ATOM_UTF8_EXT. Mandatory.
    0x20000:
      id: map_tag
      doc: Understands MAP_EXT. Mandatory.
    0x40000:
      id: big_creation
      doc: Understands NEW_PID_EXT, NEW_PORT_EXT and NEWER_REFERENCE_EXT (32-bit creation). Mandatory.
    0x80000:
      id: send_sender
      doc: Use SEND_SENDER and SEND_SENDER_TT instead of SEND and SEND_TT.
    0x100000:
      id: big_seqtrace_labels
      doc: Any term as a seq_trace label.
    0x200000:
      id: pending_connect
      doc: Internal to erts (dist.h; DFLAG_NO_MAGIC in older dist.hrl); never on the wire.
    0x400000:
      id: exit_payload
      doc: Use the PAYLOAD_* exit control messages.
    0x800000:
      id: fragments
      doc: Fragmented distribution messages.
    0x1000000:
      id: handshake_23
      doc: The version 6 handshake. Mandatory from OTP 25.
    0x2000000:
      id: unlink_id
      doc: The new link protocol (UNLINK_ID, UNLINK_ID_ACK). Mandatory from OTP 26.
    0x4000000:
      id: mandatory_25_digest
      doc: Supports everything mandatory in OTP 25; the receiver expands it to dflag_mask::dist_mandatory_25.
    0x100000000:
      id: spawn
      doc: SPAWN_REQUEST, SPAWN_REQUEST_TT, SPAWN_REPLY and SPAWN_REPLY_TT.
    0x200000000:
      id: name_me
      doc: A request for a dynamic node name (send_name only), not a capability.
    0x400000000:
      id: v4_nc
      doc: Node container types version 4 (32-bit pid ID and Serial, 64-bit port ids, refs up to 5 words). Mandatory from OTP 26.
    0x800000000:
      id: alias
      doc: ALIAS_SEND and ALIAS_SEND_TT.
    0x1000000000:
      id: local_ext
      doc: Internal to erts (dist.h); never on the wire.
    0x2000000000:
      id: altact_sig
      doc: ALTACT_SIG_SEND (OTP 28).
    0x4000000000:
      id: native_records
      doc: Native records in the external format (OTP 29 offers it; kernel's dist.hrl DFLAG_NATIVE_RECORDS).
  dflag_mask:
    # The documented flag sets of erts/emulator/beam/dist.h (DFLAG_DIST_*) and
    # the reserved bits; unions of `dflag` members, not flags of their own.
    0x1070f94:
      id: dist_mandatory_25
      doc: DFLAG_DIST_MANDATORY_25, the flags mandatory from OTP 25.
    0x402000000:
      id: dist_mandatory_26
      doc: DFLAG_DIST_MANDATORY_26, the flags newly mandatory in OTP 26 (unlink_id, v4_nc).
    0x403070f94:
      id: dist_mandatory
      doc: DFLAG_DIST_MANDATORY, everything an OTP 26+ peer requires (dist_mandatory_25 | dist_mandatory_26).
    0x802042:
      id: dist_rejectable
      doc: DFLAG_DIST_REJECTABLE, flags a distribution implementation may turn off.
    0xf8000000:
      id: reserved
      doc: DFLAG_RESERVED, bits 27..31 kept for handshake changes; always 0.
