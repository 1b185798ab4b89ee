//! Unit and property tests of the host protocol code.

use super::*;
use proptest::prelude::*;

#[test]
fn crc8_check_value() {
    // CRC-8/SMBUS catalogue check value.
    assert_eq!(crc8(b"123456789"), 0xF4);
    assert_eq!(crc8(&[]), 0x00);
}

/// The worked examples of docs/PROTOCOL.md §7, byte for byte.
#[test]
fn worked_examples() {
    let layout = Layout {
        in_len: 3,
        out_len: 2,
        wx: 5,
        wy: 12,
    };
    assert_eq!(
        Request::Ping.encode(None).unwrap(),
        [0xA5, 0x01, 0x00, 0x00, 0x6B]
    );
    assert_eq!(
        Request::Reset.encode(None).unwrap(),
        [0xA5, 0x02, 0x00, 0x00, 0xD6]
    );
    let step = Request::Step {
        seq_start: true,
        inputs: vec![3, -2, 15],
    };
    assert_eq!(
        step.encode(Some(&layout)).unwrap(),
        [0xA5, 0x03, 0x04, 0x00, 0x01, 0x03, 0xFE, 0x0F, 0x86]
    );
    // The stand-in core's reply to it: acc = 16, y = [16, 17].
    let reply = [0x5A, 0x83, 0x04, 0x00, 0x10, 0x00, 0x11, 0x00, 0x6D];
    let mut h = Host::new(ReplayLink::new(&reply), Duration::ZERO).with_layout(layout);
    assert_eq!(h.recv_step().unwrap(), vec![16, 17]);
    // An ERROR reply: bad CRC in a STEP.
    let err = [0x5A, 0xFF, 0x02, 0x00, 0x01, 0x03, 0x09];
    let mut h = Host::new(ReplayLink::new(&err), Duration::ZERO).with_layout(layout);
    assert_eq!(
        h.recv_step().unwrap_err(),
        ProtocolError::ErrorReply {
            code: ErrorCode::BadCrc,
            cmd: 0x03
        }
    );
    let id = BoardId {
        version: VERSION,
        model_id: [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF],
        layout,
        frame_timeout_bits: 2304,
    };
    let f = Frame {
        cmd: 0x81,
        payload: id.to_payload(),
    }
    .encode(SYNC_REPLY)
    .unwrap();
    assert_eq!(
        f,
        [
            0x5A, 0x81, 0x15, 0x00, 0x51, 0x52, 0x4E, 0x4E, 0x01, 0x01, 0x23, 0x45, 0x67, 0x89,
            0xAB, 0xCD, 0xEF, 0x03, 0x00, 0x02, 0x00, 0x05, 0x0C, 0x00, 0x09, 0x54
        ]
    );
}

#[test]
fn element_packing_edges() {
    let mut v = vec![];
    pack_element(1, 1, &mut v).unwrap();
    pack_element(-1, 1, &mut v).unwrap();
    pack_element(-2048, 12, &mut v).unwrap();
    pack_element(-1, 16, &mut v).unwrap();
    assert_eq!(v, [0x01, 0x00, 0x00, 0xF8, 0xFF, 0xFF]);
    assert!(matches!(
        pack_element(0, 1, &mut v),
        Err(ProtocolError::ValueRange { .. })
    ));
    assert!(matches!(
        pack_element(16, 5, &mut v),
        Err(ProtocolError::ValueRange { .. })
    ));
    // Not a sign extension of a 12-bit value, and a 1-bit element other than 0/1.
    assert!(unpack_element(&[0x00, 0x08], 12).is_err());
    assert!(unpack_element(&[0x02], 1).is_err());
    assert_eq!(unpack_element(&[0x00, 0xF8], 12).unwrap(), -2048);
    assert_eq!(unpack_element(&[0xFF; 8], 64).unwrap(), -1);
}

#[test]
fn host_errors_are_typed() {
    let layout = Layout {
        in_len: 1,
        out_len: 1,
        wx: 8,
        wy: 8,
    };
    // Nothing arrives.
    let mut h = Host::new(ReplayLink::new(&[]), Duration::from_millis(5));
    assert_eq!(
        h.ping().unwrap_err(),
        ProtocolError::Timeout {
            waited_ms: 5,
            got: 0
        }
    );
    // Wrong sync.
    let mut h = Host::new(ReplayLink::new(&[0x00]), Duration::ZERO);
    assert!(matches!(
        h.ping().unwrap_err(),
        ProtocolError::BadSync { got: 0x00, .. }
    ));
    // A RESET reply to a PING.
    let r = Frame {
        cmd: 0x82,
        payload: vec![],
    }
    .encode(SYNC_REPLY)
    .unwrap();
    let mut h = Host::new(ReplayLink::new(&r), Duration::ZERO);
    assert!(matches!(
        h.ping().unwrap_err(),
        ProtocolError::UnexpectedReply { .. }
    ));
    // A STEP reply of the wrong length.
    let r = Frame {
        cmd: 0x83,
        payload: vec![1, 2],
    }
    .encode(SYNC_REPLY)
    .unwrap();
    let mut h = Host::new(ReplayLink::new(&r), Duration::ZERO).with_layout(layout);
    assert!(matches!(
        h.recv_step().unwrap_err(),
        ProtocolError::WrongLength { .. }
    ));
    // Model hash mismatch.
    let id = BoardId {
        version: VERSION,
        model_id: [1; 8],
        layout,
        frame_timeout_bits: 100,
    };
    let r = Frame {
        cmd: 0x81,
        payload: id.to_payload(),
    }
    .encode(SYNC_REPLY)
    .unwrap();
    let mut h = Host::new(ReplayLink::new(&r), Duration::ZERO);
    assert!(matches!(
        h.connect(Some([2; 8])).unwrap_err(),
        ProtocolError::ModelMismatch { .. }
    ));
    let mut h = Host::new(ReplayLink::new(&r), Duration::ZERO);
    assert_eq!(h.connect(Some([1; 8])).unwrap(), id);
    assert_eq!(h.layout(), Some(layout));
    assert_eq!(h.into_link().sent, [0xA5, 0x01, 0x00, 0x00, 0x6B]);
    // STEP before the layout is known, and with the wrong count.
    let mut h = Host::new(ReplayLink::new(&[]), Duration::ZERO);
    assert_eq!(
        h.step(false, &[1]).unwrap_err(),
        ProtocolError::NotConnected
    );
    let mut h = h.with_layout(layout);
    assert!(matches!(
        h.step(false, &[1, 2]).unwrap_err(),
        ProtocolError::InputCount { .. }
    ));
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..64))
        .prop_map(|(cmd, payload)| Frame { cmd, payload })
}

fn arb_layout_and_values() -> impl Strategy<Value = (u32, Vec<i64>)> {
    (1u32..=64).prop_flat_map(|w| {
        let vals = if w == 1 {
            prop_oneof![Just(-1i64), Just(1i64)].boxed()
        } else if w == 64 {
            any::<i64>().boxed()
        } else {
            let half = 1i64 << (w - 1);
            (-half..half).boxed()
        };
        (Just(w), proptest::collection::vec(vals, 0..16))
    })
}

proptest! {
    #[test]
    fn decode_encode_roundtrip(f in arb_frame(), sync in any::<u8>()) {
        let bytes = f.encode(sync).unwrap();
        prop_assert_eq!(bytes.len(), f.payload.len() + FRAME_OVERHEAD);
        let (g, used) = decode_frame(sync, &bytes).unwrap();
        prop_assert_eq!(g, f);
        prop_assert_eq!(used, bytes.len());
    }

    /// Any one corrupted byte is detected: decoding fails, or (a corrupted LEN that happens to
    /// meet a matching CRC) the frame does not span the bytes sent, which the host's expected
    /// lengths and the next frame's sync byte reject.
    #[test]
    fn single_corrupted_byte_is_detected(
        f in arb_frame(), pos in any::<proptest::sample::Index>(), x in 1u8..=255
    ) {
        let mut bytes = f.encode(SYNC_REPLY).unwrap();
        let i = pos.index(bytes.len());
        bytes[i] ^= x;
        match decode_frame(SYNC_REPLY, &bytes) {
            Err(_) => {}
            Ok((g, used)) => {
                prop_assert!(i == 2 || i == 3, "corruption at {} not detected", i);
                prop_assert!(used != bytes.len() && g != f);
            }
        }
    }

    #[test]
    fn elements_roundtrip((w, vals) in arb_layout_and_values()) {
        let mut bytes = vec![];
        for &v in &vals {
            pack_element(v, w, &mut bytes).unwrap();
        }
        let n = w.div_ceil(8) as usize;
        prop_assert_eq!(bytes.len(), vals.len() * n);
        let back: Vec<i64> = bytes.chunks(n).map(|c| unpack_element(c, w).unwrap()).collect();
        prop_assert_eq!(back, vals);
    }

    #[test]
    fn step_replies_roundtrip((w, vals) in arb_layout_and_values()) {
        prop_assume!(!vals.is_empty());
        let layout = Layout { in_len: 1, out_len: vals.len(), wx: 8, wy: w };
        let mut payload = vec![];
        for &v in &vals {
            pack_element(v, w, &mut payload).unwrap();
        }
        let bytes = Frame { cmd: 0x83, payload }.encode(SYNC_REPLY).unwrap();
        let mut h = Host::new(ReplayLink::new(&bytes), Duration::ZERO).with_layout(layout);
        prop_assert_eq!(h.recv_step().unwrap(), vals);
    }
}

#[test]
fn a_board_id_with_a_bad_field_names_the_field_not_the_magic() {
    let layout = Layout {
        in_len: 3,
        out_len: 2,
        wx: 5,
        wy: 12,
    };
    let id = BoardId {
        version: VERSION,
        model_id: [0; 8],
        layout,
        frame_timeout_bits: 2304,
    };
    let good = id.to_payload();
    assert_eq!(BoardId::from_payload(&good).unwrap(), id);
    for (byte, value, field) in [
        (17, 0u8, "input width (byte 17)"),
        (17, 65, "input width (byte 17)"),
        (18, 0, "output width (byte 18)"),
        (18, 200, "output width (byte 18)"),
    ] {
        let mut p = good.clone();
        p[byte] = value;
        let e = BoardId::from_payload(&p).unwrap_err();
        assert_eq!(
            e,
            ProtocolError::BadIdField {
                field,
                value: usize::from(value),
                expected: "1..=64 bits"
            }
        );
        let text = e.to_string();
        assert!(text.contains(field) && !text.contains("magic"), "{text}");
    }
    let mut p = good.clone();
    p[13] = 0;
    p[14] = 0;
    assert!(matches!(
        BoardId::from_payload(&p),
        Err(ProtocolError::BadIdField { value: 0, .. })
    ));
    // a wrong magic is still reported as one
    let mut p = good;
    p[0] ^= 1;
    assert!(matches!(
        BoardId::from_payload(&p),
        Err(ProtocolError::BadId { .. })
    ));
}

/// Every ERROR code of docs/PROTOCOL.md §5 round-trips through its byte, and 0x06 (the weight
/// image was rejected) says what to do.
#[test]
fn error_codes() {
    let all = [
        (0x01, ErrorCode::BadCrc),
        (0x02, ErrorCode::BadLength),
        (0x03, ErrorCode::UnknownCommand),
        (0x04, ErrorCode::Timeout),
        (0x05, ErrorCode::UartFraming),
        (0x06, ErrorCode::WeightsRejected),
    ];
    for (b, c) in all {
        assert_eq!(ErrorCode::from_byte(b), c);
        assert_eq!(c.byte(), b);
    }
    assert_eq!(ErrorCode::from_byte(0x07), ErrorCode::Other(0x07));
    assert_eq!(ErrorCode::Other(0x07).byte(), 0x07);
    let w = ErrorCode::WeightsRejected.to_string();
    assert_eq!(
        w,
        "the weight image in flash was rejected (model hash, length or CRC): flash it with `qrnn-hw flash`"
    );
    // The ERROR reply a STEP gets from a board whose core rejected its weights (docs/PROTOCOL.md
    // §7).
    let reply = Frame {
        cmd: REPLY_ERROR,
        payload: vec![0x06, 0x03],
    }
    .encode(SYNC_REPLY)
    .unwrap();
    assert_eq!(reply, [0x5A, 0xFF, 0x02, 0x00, 0x06, 0x03, 0x62]);
    let layout = Layout {
        in_len: 1,
        out_len: 1,
        wx: 8,
        wy: 8,
    };
    let mut h = Host::new(ReplayLink::new(&reply), Duration::ZERO).with_layout(layout);
    let e = h.recv_step().unwrap_err();
    assert_eq!(
        e,
        ProtocolError::ErrorReply {
            code: ErrorCode::WeightsRejected,
            cmd: 0x03
        }
    );
    assert!(
        e.to_string().contains("weight image in flash was rejected"),
        "{e}"
    );
    let help = miette::Diagnostic::help(&e).unwrap().to_string();
    assert!(help.contains("qrnn-hw flash"), "{help}");
    let other = ProtocolError::ErrorReply {
        code: ErrorCode::BadCrc,
        cmd: 0x03,
    };
    let help = miette::Diagnostic::help(&other).unwrap().to_string();
    assert!(help.contains("quiet"), "{help}");
}
