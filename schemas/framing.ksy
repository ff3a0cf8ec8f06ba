# Distribution framing: the length frames of the handshake and connected
# phases (erl_dist_protocol.md "Distribution Handshake" and "Protocol between
# Connected Nodes") and the packet headers before the control message:
# pass-through 'p' and the distribution headers 68, 69 and 70 of
# erl_ext_dist.md "Distribution Header". Hand-written from the specification;
# read by codegen/ only.
#
# The terms after a header (ControlMessage, Message) are ETF and stay raw bytes
# here; etf.ksy describes them.
meta:
  id: framing
  title: Erlang distribution framing, pass-through and distribution headers
  endian: be
doc: |
  Namespace for the frames and packet headers; there is nothing to parse at the
  root.
doc-ref: erts/doc/guides/erl_dist_protocol.md, sections "Distribution Handshake" and "Protocol between Connected Nodes"
-beamwire:
  codec: reference-only
types:
  handshake_frame:
    doc: |
      A handshake message over TCP: a 16-bit length, not counting itself
      ({packet, 2}), then the message (handshake.ksy). TLS distribution frames
      the handshake with connected_frame instead ({packet, 4}).
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Distribution Handshake", subsection "General"
    seq:
      - id: length
        type: u2
      - id: message
        size: length
  connected_frame:
    doc: |
      A packet after the handshake: a 32-bit length, then the packet. Length 0
      is a tick (keep-alive) with no packet.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Protocol between Connected Nodes", table "Format of Messages Passed between Nodes (as from ERTS 5.7.2 (OTP R13B))"
    seq:
      - id: length
        type: u4
      - id: packet
        size: length
  packet:
    doc: |
      The body of a connected_frame whose length is not 0: a pass-through packet
      (only when neither DIST_HDR_ATOM_CACHE nor FRAGMENTS was negotiated) or a
      distribution header (when either was). The header types need expressions,
      so the runtime dispatches by hand.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Protocol between Connected Nodes"
    -beamwire:
      codec: reference-only
    seq:
      - id: tag
        type: u1
        enum: packet_tag
        valid:
          in-enum: true
      - id: body
        type:
          switch-on: tag
          cases:
            'packet_tag::pass_through': pass_through
            'packet_tag::version_magic': dist_packet
  pass_through:
    doc: |
      Type 112 ('p'): ControlMessage, then Message when the operation has one,
      each a complete external term with its own 131.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Protocol between Connected Nodes", table "Format of Messages Passed between Nodes (before ERTS 5.7.2 (OTP R13B))"
    seq:
      - id: terms
        size-eos: true
        doc: 131 ControlMessage [131 Message].
  dist_packet:
    doc: |
      After VERSION_MAGIC (131): which distribution header follows. Tag 70
      shares its value with NEW_FLOAT_EXT; here it can only be DIST_FRAG_CONT.
    doc-ref: erts/doc/guides/erl_ext_dist.md, section "Distribution Header"
    -beamwire:
      codec: reference-only
    seq:
      - id: tag
        type: u1
        enum: dist_header_tag
        valid:
          in-enum: true
      - id: header
        type:
          switch-on: tag
          cases:
            'dist_header_tag::dist_header': dist_header
            'dist_header_tag::dist_frag_header': dist_frag_header
            'dist_header_tag::dist_frag_cont': dist_frag_cont
  dist_header:
    doc: |
      131 68: the normal (unfragmented) distribution header, then
      ControlMessage and Message without their 131s. A sender without an atom
      cache always sends NumberOfAtomCacheRefs = 0.
    doc-ref: erts/doc/guides/erl_ext_dist.md, section "Normal Distribution Header"
    -beamwire:
      codec: reference-only
    seq:
      - id: atom_cache
        type: atom_cache_header
      - id: payload
        size-eos: true
        doc: ControlMessage [Message], external terms without 131.
  dist_frag_header:
    doc: |
      131 69: the first fragment of a fragmented message. It holds the atom
      cache references, the whole control message and the first chunk of the
      message. FragmentId counts down from the total number of fragments to 1
      (the last one).
    doc-ref: erts/doc/guides/erl_ext_dist.md, section "Distribution Header for fragmented messages"
    -beamwire:
      codec: reference-only
    seq:
      - id: sequence_id
        type: u8
        doc: Identifies the message among interleaved sequences (OTP uses the sending pid).
      - id: fragment_id
        type: u8
      - id: atom_cache
        type: atom_cache_header
      - id: fragment
        size-eos: true
        doc: ControlMessage and the first chunk of Message, without 131.
  dist_frag_cont:
    doc: |
      131 70: a continuation fragment. Concatenated in FragmentId order with
      the earlier fragments of the same SequenceId.
    doc-ref: erts/doc/guides/erl_ext_dist.md, section "Distribution Header for fragmented messages"
    seq:
      - id: sequence_id
        type: u8
      - id: fragment_id
        type: u8
      - id: fragment
        size-eos: true
        doc: The next chunk of Message.
  atom_cache_header:
    doc: |
      NumberOfAtomCacheRefs, Flags and AtomCacheRefs, shared by the 68 and 69
      headers. Flags has NumberOfAtomCacheRefs/2+1 bytes (none when there are
      no refs): one half byte per reference, the even index in the low half
      and the odd index in the high half of byte index/2, and one more half
      byte at position NumberOfAtomCacheRefs whose bit 0 is LongAtoms.
    doc-ref: erts/doc/guides/erl_ext_dist.md, section "Normal Distribution Header"
    -beamwire:
      codec: reference-only
    seq:
      - id: number_of_atom_cache_refs
        type: u1
      - id: flags
        type: u1
        repeat: expr
        repeat-expr: 'number_of_atom_cache_refs == 0 ? 0 : number_of_atom_cache_refs / 2 + 1'
      - id: atom_cache_refs
        type: atom_cache_ref(_index)
        repeat: expr
        repeat-expr: number_of_atom_cache_refs
    instances:
      long_atoms:
        value: 'number_of_atom_cache_refs == 0 ? false : ((flags[number_of_atom_cache_refs / 2] >> (4 * (number_of_atom_cache_refs % 2))) & 1) == 1'
        doc: Atom lengths in this header take 2 bytes instead of 1.
  atom_cache_ref:
    doc: |
      One reference: a NewAtomCacheRef (InternalSegmentIndex, Length, AtomText)
      when NewCacheEntryFlag is set, else a CachedAtomRef (InternalSegmentIndex
      only). SegmentIndex and InternalSegmentIndex locate the entry in the
      receiver's 8 x 256 atom cache; ATOM_CACHE_REF (82) in the following
      terms refers to the reference by its index in this header.
    doc-ref: erts/doc/guides/erl_ext_dist.md, section "Normal Distribution Header"
    -beamwire:
      codec: reference-only
    params:
      - id: atom_cache_reference_index
        type: u1
    seq:
      - id: internal_segment_index
        type: u1
      - id: length
        type:
          switch-on: _parent.long_atoms
          cases:
            true: u2
            false: u1
        if: new_cache_entry_flag
      - id: atom_text
        type: str
        size: length
        encoding: UTF-8
        if: new_cache_entry_flag
        doc: UTF-8 when UTF8_ATOMS was negotiated (always, from OTP 25).
    instances:
      flag_nibble:
        value: '(_parent.flags[atom_cache_reference_index / 2] >> (4 * (atom_cache_reference_index % 2))) & 0xf'
      new_cache_entry_flag:
        value: '(flag_nibble & 0x8) != 0'
      segment_index:
        value: 'flag_nibble & 0x7'
enums:
  packet_tag:
    # The first byte of a connected-phase packet.
    112: pass_through
    131: version_magic
  dist_header_tag:
    # erts/emulator/beam/external.h: DIST_HEADER 'D', DIST_FRAG_HEADER 'E',
    # DIST_FRAG_CONT 'F'.
    68: dist_header
    69: dist_frag_header
    70: dist_frag_cont
