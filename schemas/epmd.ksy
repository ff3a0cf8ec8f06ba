# EPMD protocol: the requests and responses of erl_dist_protocol.md
# "EPMD Protocol". Hand-written from the specification (with erts/epmd/src
# where the document is silent); read by codegen/ only.
#
# Every request travels in a 2-byte length envelope (`request`); responses have
# no length prefix. A client knows which response to expect, except that
# ALIVE2_REQ may get ALIVE2_X_RESP or ALIVE2_RESP, so the tagged responses
# share `response`. The root type is a namespace.
meta:
  id: epmd
  title: Erlang Port Mapper Daemon protocol (port 4369)
  endian: be
doc: |
  Namespace for the EPMD requests and responses; there is nothing to parse at
  the root.
doc-ref: erts/doc/guides/erl_dist_protocol.md, section "EPMD Protocol"
-beamwire:
  codec: reference-only
types:
  request:
    doc: |
      A request as sent to EPMD: Length, then Length bytes of request
      (`request_body`, decoded from exactly those bytes).
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "EPMD Protocol", table "Request Format"
    seq:
      - id: length
        type: u2
      - id: request
        size: length
        type: request_body
  request_body:
    doc: The request tag and its fields (the Request of table "Request Format").
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "EPMD Protocol", table "Request Format"
    seq:
      - id: tag
        type: u1
        enum: request_tag
        valid:
          in-enum: true
      - id: body
        type:
          switch-on: tag
          cases:
            'request_tag::alive2_req': alive2_req
            'request_tag::port_please2_req': port_please2_req
            'request_tag::names_req': names_req
            'request_tag::dump_req': dump_req
            'request_tag::kill_req': kill_req
            'request_tag::stop_req': stop_req
  alive2_req:
    doc: |
      Register a node. Accepted from local peers only; the registration lasts
      as long as this TCP connection, and anything more written on it
      unregisters the node.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Register a Node in EPMD", table "ALIVE2_REQ (120)"
    seq:
      - id: port_no
        type: u2
        doc: The port on which the node accepts distribution connections.
      - id: node_type
        type: u1
        doc: 77 = normal Erlang node, 72 = hidden node (informational only).
      - id: protocol
        type: u1
        doc: 0 = TCP/IPv4.
      - id: highest_version
        type: u2
        doc: Highest distribution version the node handles (6 from OTP 23).
      - id: lowest_version
        type: u2
        doc: Lowest distribution version the node handles.
      - id: nlen
        type: u2
      - id: node_name
        type: str
        size: nlen
        encoding: UTF-8
        doc: The alive part of the node name (before '@').
      - id: elen
        type: u2
      - id: extra
        size: elen
  port_please2_req:
    doc: Ask for the distribution port of a node on EPMD's host.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Get the Distribution Port of Another Node", table "PORT_PLEASE2_REQ (122)"
    seq:
      - id: node_name
        size-eos: true
        doc: The alive part of the node name, Length - 1 bytes (EPMD tolerates a trailing NUL).
  names_req:
    doc: List the registered names; answered with names_resp.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Get All Registered Names from EPMD", table "NAMES_REQ (110)"
  dump_req:
    doc: Dump EPMD's node table (local peers only, a debug feature); answered with dump_resp.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Dump All Data from EPMD", table "DUMP_REQ"
  kill_req:
    doc: Stop EPMD (local peers only); answered with kill_resp.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Kill EPMD", table "KILL_REQ"
  stop_req:
    doc: Unregister a node by name (local peers only, "not used"); answered with stop_resp.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "STOP_REQ (Not Used)", table "STOP_REQ"
    seq:
      - id: node_name
        size-eos: true
        doc: Length - 1 bytes.
  response:
    doc: |
      A tagged response (no length prefix). It holds port2_resp, whose second
      form needs an `if`, so the runtime decodes the tag by hand.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "EPMD Protocol"
    -beamwire:
      codec: reference-only
    seq:
      - id: tag
        type: u1
        enum: response_tag
        valid:
          in-enum: true
      - id: body
        type:
          switch-on: tag
          cases:
            'response_tag::alive2_x_resp': alive2_x_resp
            'response_tag::alive2_resp': alive2_resp
            'response_tag::port2_resp': port2_resp
  alive2_x_resp:
    doc: The answer to a version 6 ALIVE2_REQ. Result 0 = ok, > 0 = error.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Register a Node in EPMD", table "ALIVE2_X_RESP (118) with 32 bit creation"
    seq:
      - id: result
        type: u1
      - id: creation
        type: u4
  alive2_resp:
    doc: The answer to an ALIVE2_REQ from a node older than version 6. Result 0 = ok, > 0 = error.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Register a Node in EPMD", table "ALIVE2_RESP (121) with 16-bit creation"
    seq:
      - id: result
        type: u1
      - id: creation
        type: u2
  port2_resp:
    doc: |
      The answer to PORT_PLEASE2_REQ. If Result > 0 the packet is only
      [119, Result]; if Result = 0 the node's registration follows.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Get the Distribution Port of Another Node", tables "PORT2_RESP (119) Response Indicating Error, Result > 0" and "PORT2_RESP, Result = 0"
    -beamwire:
      codec: reference-only
    seq:
      - id: result
        type: u1
      - id: node
        type: port2_resp_node
        if: result == 0
  port2_resp_node:
    doc: The fields of PORT2_RESP after Result when Result = 0.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Get the Distribution Port of Another Node", table "PORT2_RESP, Result = 0"
    seq:
      - id: port_no
        type: u2
      - id: node_type
        type: u1
        doc: 77 = normal Erlang node, 72 = hidden node.
      - id: protocol
        type: u1
        doc: 0 = TCP/IPv4.
      - id: highest_version
        type: u2
      - id: lowest_version
        type: u2
      - id: nlen
        type: u2
      - id: node_name
        type: str
        size: nlen
        encoding: UTF-8
      - id: elen
        type: u2
      - id: extra
        size: elen
  names_resp:
    doc: |
      The answer to NAMES_REQ: EPMD's own port, then one line
      "name <NodeName> at port <Port>\n" per registered node, until EPMD closes.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Get All Registered Names from EPMD", table "NAMES_RESP"
    seq:
      - id: epmd_port_no
        type: u4
      - id: node_info
        size-eos: true
  dump_resp:
    doc: |
      The answer to DUMP_REQ: EPMD's own port, then one NUL-terminated text
      entry per node, until EPMD closes.
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Dump All Data from EPMD", table "DUMP_RESP"
    seq:
      - id: epmd_port_no
        type: u4
      - id: node_info
        size-eos: true
  kill_resp:
    doc: The answer to KILL_REQ, "OK" (or "NO" when nodes are still registered).
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "Kill EPMD", table "KILL_RESP"
    seq:
      - id: ok_string
        size-eos: true
  stop_resp:
    doc: The answer to STOP_REQ, "STOPPED" (STOP_OK_RESP) or "NOEXIST" (STOP_NOTOK_RESP).
    doc-ref: erts/doc/guides/erl_dist_protocol.md, section "STOP_REQ (Not Used)", tables "STOP_RESP" and "STOP_NOTOK_RESP"
    seq:
      - id: ok_string
        size-eos: true
enums:
  request_tag:
    # The request codes of erts/epmd/src/epmd.h (EPMD_*_REQ).
    120: alive2_req
    122: port_please2_req
    110: names_req
    100: dump_req
    107: kill_req
    115: stop_req
  response_tag:
    # The tagged response codes of erts/epmd/src/epmd.h (EPMD_*_RESP).
    118: alive2_x_resp
    121: alive2_resp
    119: port2_resp
