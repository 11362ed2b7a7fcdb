//! Every operation end to end against the simulator: status, sending
//! (one part and several), the inbox with concatenated messages joined,
//! reading and deleting, USSD, raw commands, unsolicited codes, and TCP.

use at::parse::{MessageReference, UssdEncoding};
use modem::{Content, MessageKind, ModemEvent, ModemHandle, PortAddress, SmsStorage};
use modem_sim::sim::Injection;
use modem_sim::TextEncoding;
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use sms_pdu::{Address, MessageClass, Tpdu};

use crate::support::{eventually, next_event, Bench};

fn text_injection(from: &str, text: &str) -> Injection {
    injection(from, text, false, None)
}

fn injection(from: &str, text: &str, class0: bool, parts_order: Option<Vec<usize>>) -> Injection {
    Injection::Text {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding: TextEncoding::Auto,
        class0,
        parts_order,
    }
}

#[tokio::test]
async fn status_reports_what_the_modem_knows() {
    let bench = Bench::start(1).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let status = modem.status().await.unwrap();
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    assert!(status.registration.unwrap().status.is_registered());
    assert_eq!(status.operator.as_deref(), Some("SMSGATE SIM"));
    let signal = status.signal.unwrap();
    assert_eq!((signal.dbm(), signal.bars()), (Some(-71), 5));
    assert_eq!(status.identity.imei.as_deref(), Some("490154203237518"));
    assert_eq!(status.identity.imsi.as_deref(), Some("001010123456789"));
    assert!(status.identity.iccid.unwrap().starts_with("8900101"));
    assert_eq!(status.identity.smsc.unwrap().number, "+15555550000");
    let storage = status.storage.unwrap();
    assert_eq!(
        (storage.name.as_deref(), storage.used, storage.total),
        (Some("SM"), 0, 20)
    );
    modem.shutdown().await;
}

#[tokio::test]
async fn send_one_part_and_several() {
    let bench = Bench::start(2).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let destination = Address::parse_phone(&bench.number(1)).unwrap();
    let message = OutgoingMessage {
        status_report_request: true,
        ..OutgoingMessage::to(destination)
    };
    let references = modem
        .send_sms(&message, "hello from the driver", &SplitOptions::default())
        .await
        .unwrap();
    assert_eq!(references, [MessageReference(1)]);
    let long = "Grüße aus Riga! ".repeat(12);
    let references = modem
        .send_sms(&message, &long, &SplitOptions::default())
        .await
        .unwrap();
    assert_eq!(references, [MessageReference(2), MessageReference(3)]);
    let submitted = bench.sim.submitted(0).await.unwrap();
    assert_eq!(submitted.len(), 3);
    let Tpdu::Submit(first) = sms_pdu::Pdu::decode(&submitted[0].pdu).unwrap().value.tpdu else {
        panic!("not a SUBMIT");
    };
    assert!(first.status_report_request);
    assert_eq!(first.destination.to_string(), bench.number(1));

    // PDUs planned by the caller go out as they are, one AT+CMGS each.
    let pdus = message
        .text_pdus("planned", &SplitOptions::default())
        .unwrap()
        .iter()
        .map(|pdu| pdu.encode().unwrap())
        .collect();
    assert_eq!(modem.send_pdus(pdus).await.unwrap(), [MessageReference(4)]);
    let submitted = bench.sim.submitted(0).await.unwrap();
    assert_eq!(submitted.len(), 4);

    // The other modem got both messages, the second in two parts, and
    // lists it joined.
    let receiver = ModemHandle::open(bench.config(1)).await.unwrap();
    let inbox = eventually("all three messages arrive", || async {
        let inbox = receiver.list_messages(None).await.unwrap();
        (inbox.len() == 3).then_some(inbox)
    })
    .await;
    assert_eq!(
        inbox[0].content,
        Content::Text("hello from the driver".to_owned())
    );
    assert_eq!(inbox[0].phone, bench.number(0));
    assert_eq!(inbox[1].content, Content::Text(long.clone()));
    assert_eq!(inbox[1].indexes.len(), 2);
    assert_eq!(inbox[1].parts.as_ref().unwrap().total, 2);
    assert!(inbox[1].parts.as_ref().unwrap().missing.is_empty());
    modem.shutdown().await;
    receiver.shutdown().await;
}

#[tokio::test]
async fn inbox_read_and_delete() {
    let bench = Bench::start(1).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let mut events = modem.subscribe();
    bench
        .sim
        .inject(0, text_injection("+37120000000", "first"))
        .await
        .unwrap();
    // The +CNMI set-up makes the modem announce it.
    let index = next_event(&mut events, |event| match event {
        ModemEvent::Urc(at::Urc::MessageStored { storage, index }) if storage == "SM" => Some(*index),
        _ => None,
    })
    .await;
    bench
        .sim
        .inject(0, injection("BANKINFO", "flash", true, None))
        .await
        .unwrap();
    // Parts 3 and 1 of three: listed as one message with part 2 missing.
    bench
        .sim
        .inject(
            0,
            injection("+37120000001", &"x".repeat(400), false, Some(vec![3, 1])),
        )
        .await
        .unwrap();
    let inbox = eventually("four stored parts", || async {
        let inbox = modem.list_messages(None).await.unwrap();
        (inbox.iter().map(|message| message.indexes.len()).sum::<usize>() == 4).then_some(inbox)
    })
    .await;
    assert_eq!(inbox.len(), 3, "{inbox:#?}");
    assert_eq!(inbox[0].indexes, [index]);
    assert_eq!(inbox[0].phone, "+37120000000");
    assert_eq!(inbox[0].kind, MessageKind::Deliver);
    assert!(inbox[0].timestamp.is_some());
    assert_eq!(inbox[1].phone, "BANKINFO");
    assert_eq!(inbox[1].class, Some(MessageClass::Class0));
    let parts = inbox[2].parts.as_ref().unwrap();
    assert_eq!((parts.total, parts.missing.as_slice()), (3, &[2][..]));

    let read = modem.read(index).await.unwrap().unwrap();
    assert_eq!(read.content, Content::Text("first".to_owned()));
    modem.delete(index).await.unwrap();
    assert_eq!(modem.read(index).await.unwrap(), None);
    assert_eq!(modem.list_messages(None).await.unwrap().len(), 2);
    // The phone memory is empty, and listing it leaves the SIM selected.
    assert!(modem
        .list_messages(Some(SmsStorage::Modem))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(modem.list_messages(None).await.unwrap().len(), 2);
    modem.shutdown().await;
}

#[tokio::test]
async fn ussd_decodes_routeros_example_and_plain_text() {
    let bench = Bench::start(1).await;
    // RouterOS's example: packed GSM 7-bit hex, which must read "konta
    // atlikums".
    bench
        .sim
        .set_ussd_raw(0, "*245#", "EBB79B1E0685E9ECF4BADE9E03", 15)
        .await
        .unwrap();
    bench.sim.set_ussd(0, "*100#", "Balance: 5.00 EUR").await.unwrap();
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let answer = modem.ussd("*245#").await.unwrap();
    assert_eq!(answer.text.as_deref(), Some("konta atlikums"));
    assert_eq!(answer.encoding, Some(UssdEncoding::PackedGsm7Hex));
    assert_eq!(answer.dcs, Some(15));
    let answer = modem.ussd("*100#").await.unwrap();
    assert_eq!(answer.text.as_deref(), Some("Balance: 5.00 EUR"));
    let refused = modem.ussd("*999#").await.unwrap_err();
    assert!(
        refused.to_string().contains("+CUSD: 4 (operation not supported)"),
        "{refused}"
    );
    modem.shutdown().await;
}

#[tokio::test]
async fn at_chat_returns_lines_and_final_result() {
    let bench = Bench::start(1).await;
    let modem = ModemHandle::open(bench.config(0)).await.unwrap();
    let reply = modem.at_chat("AT+CSQ", None).await.unwrap();
    assert_eq!(reply.lines, ["+CSQ: 21,99"]);
    assert_eq!(reply.result, at::FinalResult::Ok);
    let reply = modem.at_chat("AT+NOSUCH", None).await.unwrap();
    assert_eq!(reply.result, at::FinalResult::Error);
    let reply = modem.at_chat("ATI", None).await.unwrap();
    assert_eq!(reply.lines[..2], ["smsgate", "modem-sim"]);
    assert!(modem.at_chat("AT+CMGS=23", None).await.is_err());
    modem.shutdown().await;
}

#[tokio::test]
async fn over_tcp_like_ser2net() {
    let bench = Bench::start_with(1, |sim| sim.tcp = Some("127.0.0.1:0".parse().unwrap())).await;
    let address = bench.sim.modem(0).await.unwrap().tcp.unwrap();
    let mut config = bench.config(0);
    config.port = format!("tcp://{address}").parse::<PortAddress>().unwrap();
    let modem = ModemHandle::open(config).await.unwrap();
    assert_eq!(modem.port(), format!("tcp://{address}"));
    let status = modem.status().await.unwrap();
    assert_eq!(status.identity.imei.as_deref(), Some("490154203237518"));
    modem.shutdown().await;
}

/// Issue 12 item 14: a configured SMSC is set with `AT+CSCA` at set-up
/// (smsd's `smsc` without `smsc_pdu`), so the modem's own SMSC is the one
/// the PDUs' empty SMSC field stands for.
#[tokio::test]
async fn configured_smsc_is_set_with_csca() {
    let bench = Bench::start(1).await;
    let mut config = bench.config(0);
    config.smsc = Some("4917200000".to_owned());
    let modem = ModemHandle::open(config).await.unwrap();
    let status = modem.status().await.unwrap();
    assert_eq!(status.identity.smsc.unwrap().number, "+4917200000");
    modem.shutdown().await;
}
