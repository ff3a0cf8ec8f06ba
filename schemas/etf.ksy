# The External Term Format, as erts/doc/guides/erl_ext_dist.md and erts/emulator/beam/external.c define it.
# One type per tag, named after the spec's tag; every field in wire order. Read by codegen/ only:
# `npm run gen` emits the production decoder/encoders and compiles a Kaitai reference parser from this file.
# `-beamwire.build` names the runtime constructor (runtime/term/build.ts) that turns the fields into a term;
# atom names are `intern`ed: the constructor finds the atom by its bytes, building no string when it is known.
meta:
  id: etf
  title: Erlang External Term Format (OTP 25-28)
  endian: be
  -beamwire: {mode: term}
doc: A term as term_to_binary/2 writes it, version byte first.
doc-ref: erl_ext_dist.md "Introduction"; shared/reference/erlang-dist-protocol.md section 1.1
seq:
  - id: version
    contents: [131]
  - id: term
    type: term
types:
  term:
    doc: One tagged term. Tags not listed here (FUN_EXT 117 among them) are rejected.
    doc-ref: erl_ext_dist.md; erlang-dist-protocol.md section 1.2
    seq:
      - id: tag
        type: u1
        enum: tag
        valid:
          in-enum: true
      - id: body
        type:
          switch-on: tag
          cases:
            'tag::new_float_ext': new_float_ext
            'tag::bit_binary_ext': bit_binary_ext
            'tag::atom_cache_ref': atom_cache_ref
            'tag::new_pid_ext': new_pid_ext
            'tag::new_port_ext': new_port_ext
            'tag::newer_reference_ext': newer_reference_ext
            'tag::small_integer_ext': small_integer_ext
            'tag::integer_ext': integer_ext
            'tag::float_ext': float_ext
            'tag::atom_ext': atom_ext
            'tag::reference_ext': reference_ext
            'tag::port_ext': port_ext
            'tag::pid_ext': pid_ext
            'tag::small_tuple_ext': small_tuple_ext
            'tag::large_tuple_ext': large_tuple_ext
            'tag::nil_ext': nil_ext
            'tag::string_ext': string_ext
            'tag::list_ext': list_ext
            'tag::binary_ext': binary_ext
            'tag::small_big_ext': small_big_ext
            'tag::large_big_ext': large_big_ext
            'tag::new_fun_ext': new_fun_ext
            'tag::export_ext': export_ext
            'tag::new_reference_ext': new_reference_ext
            'tag::small_atom_ext': small_atom_ext
            'tag::map_ext': map_ext
            'tag::atom_utf8_ext': atom_utf8_ext
            'tag::small_atom_utf8_ext': small_atom_utf8_ext
            'tag::v4_port_ext': v4_port_ext
            'tag::local_ext': local_ext
            'tag::compressed': compressed
  compressed:
    doc: zlib-compressed term; the inflated data is a tag and its data, with no version byte. Valid only as the whole term.
    doc-ref: erl_ext_dist.md "Compressed Term Format"
    -beamwire: {codec: reference-only}
    seq:
      - id: uncompressed_size
        type: u4
      - id: data
        size-eos: true
        process: zlib
        type: term
  new_float_ext:
    doc: "IEEE 754 double, big-endian. The only float form OTP emits."
    doc-ref: erl_ext_dist.md "NEW_FLOAT_EXT"
    -beamwire: {build: float}
    seq:
      - id: value
        type: f8
  bit_binary_ext:
    doc: "A bitstring: Bits (1..8) significant bits in the last byte, counted from the MSB."
    doc-ref: erl_ext_dist.md "BIT_BINARY_EXT"
    -beamwire: {build: bit_binary}
    seq:
      - id: len
        type: u4
      - id: bits
        type: u1
      - id: data
        size: len
  atom_cache_ref:
    doc: "Index into the atom list of the enclosing distribution header; invalid anywhere else."
    doc-ref: erl_ext_dist.md "ATOM_CACHE_REF"
    -beamwire: {build: atom_cache_ref, decode-only: true}
    seq:
      - id: index
        type: u1
  new_pid_ext:
    doc: "A pid with a 32-bit creation (OTP 23+); ID and Serial are full u32 under V4_NC."
    doc-ref: erl_ext_dist.md "NEW_PID_EXT"
    -beamwire: {build: pid}
    seq:
      - id: node
        type: term
      - id: id
        type: u4
      - id: serial
        type: u4
      - id: creation
        type: u4
  new_port_ext:
    doc: "A port with a 32-bit id and creation."
    doc-ref: erl_ext_dist.md "NEW_PORT_EXT"
    -beamwire: {build: port}
    seq:
      - id: node
        type: term
      - id: id
        type: u4
      - id: creation
        type: u4
  newer_reference_ext:
    doc: "A reference: Len (1..5) u32 words, Len before Node."
    doc-ref: erl_ext_dist.md "NEWER_REFERENCE_EXT"
    -beamwire: {build: reference}
    seq:
      - id: len
        type: u2
      - id: node
        type: term
      - id: creation
        type: u4
      - id: ids
        type: u4
        repeat: expr
        repeat-expr: len
  small_integer_ext:
    doc: "An integer 0..255."
    doc-ref: erl_ext_dist.md "SMALL_INTEGER_EXT"
    -beamwire: {build: value}
    seq:
      - id: value
        type: u1
  integer_ext:
    doc: "A signed 32-bit integer."
    doc-ref: erl_ext_dist.md "INTEGER_EXT"
    -beamwire: {build: value}
    seq:
      - id: value
        type: s4
  float_ext:
    doc: "Old float: 31 bytes of %.20e text, NUL-padded. Decoded only."
    doc-ref: erl_ext_dist.md "FLOAT_EXT"
    -beamwire: {build: float_text, decode-only: true}
    seq:
      - id: text
        size: 31
  atom_ext:
    doc: "Latin-1 atom (deprecated; OTP 25 term_to_binary still emits it). Len counts bytes."
    doc-ref: erl_ext_dist.md "ATOM_EXT"
    -beamwire: {build: atom_latin1, decode-only: true}
    seq:
      - id: len
        type: u2
      - id: name
        size: len
        -beamwire: {text: latin1, intern: true}
  reference_ext:
    doc: "Old reference: one id word and a 2-bit creation. Decoded only."
    doc-ref: erl_ext_dist.md "REFERENCE_EXT"
    -beamwire: {build: reference_old, decode-only: true}
    seq:
      - id: node
        type: term
      - id: id
        type: u4
      - id: creation
        type: u1
  port_ext:
    doc: "Old port with an 8-bit creation. Decoded only."
    doc-ref: erl_ext_dist.md "PORT_EXT"
    -beamwire: {build: port, decode-only: true}
    seq:
      - id: node
        type: term
      - id: id
        type: u4
      - id: creation
        type: u1
  pid_ext:
    doc: "Old pid with an 8-bit creation. Decoded only."
    doc-ref: erl_ext_dist.md "PID_EXT"
    -beamwire: {build: pid, decode-only: true}
    seq:
      - id: node
        type: term
      - id: id
        type: u4
      - id: serial
        type: u4
      - id: creation
        type: u1
  small_tuple_ext:
    doc: "A tuple of at most 255 elements."
    doc-ref: erl_ext_dist.md "SMALL_TUPLE_EXT"
    -beamwire: {build: tuple}
    seq:
      - id: arity
        type: u1
      - id: elements
        type: term
        repeat: expr
        repeat-expr: arity
  large_tuple_ext:
    doc: "A tuple of more than 255 elements."
    doc-ref: erl_ext_dist.md "LARGE_TUPLE_EXT"
    -beamwire: {build: tuple}
    seq:
      - id: arity
        type: u4
      - id: elements
        type: term
        repeat: expr
        repeat-expr: arity
  nil_ext:
    doc: "The empty list [] (also the empty string)."
    doc-ref: erl_ext_dist.md "NIL_EXT"
    -beamwire: {build: nil}
  string_ext:
    doc: "A list of 1..65535 integers 0..255, one byte each."
    doc-ref: erl_ext_dist.md "STRING_EXT"
    -beamwire: {build: charlist}
    seq:
      - id: len
        type: u2
      - id: chars
        size: len
  list_ext:
    doc: "Len elements followed by the tail (nil_ext for a proper list)."
    doc-ref: erl_ext_dist.md "LIST_EXT"
    -beamwire: {build: list}
    seq:
      - id: len
        type: u4
      - id: elements
        type: term
        repeat: expr
        repeat-expr: len
      - id: tail
        type: term
        -beamwire: {chain: true}
  binary_ext:
    doc: "A binary of Len bytes."
    doc-ref: erl_ext_dist.md "BINARY_EXT"
    -beamwire: {build: binary}
    seq:
      - id: len
        type: u4
      - id: data
        size: len
  small_big_ext:
    doc: "An integer as N little-endian magnitude bytes and a sign byte."
    doc-ref: erl_ext_dist.md "SMALL_BIG_EXT"
    -beamwire: {build: big}
    seq:
      - id: n
        type: u1
      - id: sign
        type: u1
      - id: digits
        size: n
  large_big_ext:
    doc: "An integer whose magnitude needs more than 255 bytes."
    doc-ref: erl_ext_dist.md "LARGE_BIG_EXT"
    -beamwire: {build: big}
    seq:
      - id: n
        type: u4
      - id: sign
        type: u1
      - id: digits
        size: n
  new_fun_ext:
    doc: "A closure. Size counts from the Size field to the end of the term."
    doc-ref: erl_ext_dist.md "NEW_FUN_EXT"
    -beamwire: {build: fun}
    seq:
      - id: size
        type: u4
        -beamwire: {size-of: rest}
      - id: arity
        type: u1
      - id: uniq
        size: 16
      - id: index
        type: u4
      - id: num_free
        type: u4
      - id: module
        type: term
      - id: old_index
        type: term
      - id: old_uniq
        type: term
      - id: pid
        type: term
      - id: free_vars
        type: term
        repeat: expr
        repeat-expr: num_free
  export_ext:
    doc: "fun Module:Function/Arity; Arity is a small_integer_ext."
    doc-ref: erl_ext_dist.md "EXPORT_EXT"
    -beamwire: {build: export_fun}
    seq:
      - id: module
        type: term
      - id: function
        type: term
      - id: arity
        type: term
  new_reference_ext:
    doc: "A reference with an 8-bit creation. Decoded only."
    doc-ref: erl_ext_dist.md "NEW_REFERENCE_EXT"
    -beamwire: {build: reference, decode-only: true}
    seq:
      - id: len
        type: u2
      - id: node
        type: term
      - id: creation
        type: u1
      - id: ids
        type: u4
        repeat: expr
        repeat-expr: len
  small_atom_ext:
    doc: "Latin-1 atom of at most 255 bytes."
    doc-ref: erl_ext_dist.md "SMALL_ATOM_EXT"
    -beamwire: {build: atom_latin1, decode-only: true}
    seq:
      - id: len
        type: u1
      - id: name
        size: len
        -beamwire: {text: latin1, intern: true}
  map_ext:
    doc: "Arity key/value pairs, K1 V1 ... Kn Vn, in any order, without duplicate keys."
    doc-ref: erl_ext_dist.md "MAP_EXT"
    -beamwire: {build: map}
    seq:
      - id: arity
        type: u4
      - id: pairs
        type: term
        repeat: expr
        repeat-expr: arity * 2
  atom_utf8_ext:
    doc: "UTF-8 atom; Len counts bytes, the atom holds at most 255 code points."
    doc-ref: erl_ext_dist.md "ATOM_UTF8_EXT"
    -beamwire: {build: atom_utf8}
    seq:
      - id: len
        type: u2
      - id: name
        size: len
        -beamwire: {text: utf8, intern: true}
  small_atom_utf8_ext:
    doc: "UTF-8 atom of at most 255 bytes: what OTP sends on distribution."
    doc-ref: erl_ext_dist.md "SMALL_ATOM_UTF8_EXT"
    -beamwire: {build: atom_utf8}
    seq:
      - id: len
        type: u1
      - id: name
        size: len
        -beamwire: {text: utf8, intern: true}
  v4_port_ext:
    doc: "A port with a 64-bit id (V4_NC)."
    doc-ref: erl_ext_dist.md "V4_PORT_EXT"
    -beamwire: {build: port}
    seq:
      - id: node
        type: term
      - id: id
        type: u8
      - id: creation
        type: u4
  local_ext:
    doc: "term_to_binary(T, [local]) (OTP 26+): readable only by the VM that made it; kept as bytes. Valid only as the whole term."
    doc-ref: erl_ext_dist.md "LOCAL_EXT"
    -beamwire: {build: local, decode-only: true}
    seq:
      - id: data
        size-eos: true
enums:
  tag:
    70: new_float_ext
    77: bit_binary_ext
    80: compressed
    82: atom_cache_ref
    88: new_pid_ext
    89: new_port_ext
    90: newer_reference_ext
    97: small_integer_ext
    98: integer_ext
    99: float_ext
    100: atom_ext
    101: reference_ext
    102: port_ext
    103: pid_ext
    104: small_tuple_ext
    105: large_tuple_ext
    106: nil_ext
    107: string_ext
    108: list_ext
    109: binary_ext
    110: small_big_ext
    111: large_big_ext
    112: new_fun_ext
    113: export_ext
    114: new_reference_ext
    115: small_atom_ext
    116: map_ext
    118: atom_utf8_ext
    119: small_atom_utf8_ext
    120: v4_port_ext
    121: local_ext
