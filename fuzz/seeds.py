#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into corpus/seed/<target>/.

The PDUs are the known-answer vectors of crates/sms-pdu/test_data (captures
and published examples, malformed ones included), so the fuzzers start from
real traffic. Run it again after adding vectors: `python3 fuzz/seeds.py`.
"""

import hashlib
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
TEST_DATA = FUZZ.parent / "crates" / "sms-pdu" / "test_data"
SEEDS = FUZZ / "corpus" / "seed"


def vectors():
    """(name, hex text) of every vector, malformed ones included."""
    for path in sorted(TEST_DATA.glob("*/*.hex")):
        lines = [line.strip() for line in path.read_text().splitlines()]
        hex_text = "".join(line for line in lines if line and not line.startswith("#"))
        yield f"{path.parent.name}-{path.stem}", hex_text


def user_data(pdu):
    """(TP-DCS, TP-UDL, TP-UD) of a DELIVER or SUBMIT with TP-UDHI set."""
    tpdu = pdu[1 + pdu[0]:]
    first = tpdu[0]
    if not first & 0x40:
        return None
    if first & 0x03 == 0:  # DELIVER: OA, PID, DCS, SCTS
        at = 1
        at += 2 + (tpdu[at] + 1) // 2
        dcs = tpdu[at + 1]
        at += 2 + 7
    elif first & 0x03 == 1:  # SUBMIT: MR, DA, PID, DCS, VP
        at = 2
        at += 2 + (tpdu[at] + 1) // 2
        dcs = tpdu[at + 1]
        at += 2 + {0x00: 0, 0x10: 1, 0x08: 7, 0x18: 7}[first & 0x18]
    else:
        return None
    return dcs, tpdu[at], tpdu[at + 1:]


def write(target, name, data):
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (directory / name).write_bytes(data)


def main():
    for name, hex_text in vectors():
        write("pdu_hex", name, hex_text)
        try:
            pdu = bytes.fromhex(hex_text)
        except ValueError:
            continue
        write("pdu_decode", name, pdu)
        if pdu and len(pdu) > 1 + pdu[0]:
            write("tpdu_decode", name, pdu[1 + pdu[0]:])
        try:
            framed = user_data(pdu)
        except (IndexError, KeyError):
            framed = None
        if framed:
            dcs, udl, ud = framed
            write("udh", name, bytes([dcs, udl]) + ud)
    # The forms modems print: lower case, line ends around.
    write("pdu_hex", "lower-case", "0011000b916407281553f80000aa0ae8329bfd4697d9ec37")
    write("pdu_hex", "crlf", "\r\n07915155550500F006020D91947112325476F8621112919202006211129192020000\r\n")

    # Headers no vector carries: 16-bit reference, ports, national shifts,
    # an unknown element, in GSM 7-bit (DCS 00) and 8-bit (DCS 04).
    headers = {
        "concat16": "0608041234030241",
        "ports8": "040402100348656C6C6F",
        "ports16": "060504ABCD00000102",
        "national-shifts": "06240101250101C8329BFD06",
        "unknown-element": "050A03000010616263",
        "two-elements": "0B0003ED0201050400000000",
    }
    for name, hex_text in headers.items():
        ud = bytes.fromhex(hex_text)
        write("udh", f"{name}-8bit", bytes([0x04, len(ud)]) + ud)
        # The header takes whole septets; the octets after it are packed
        # text.
        header_septets = -(-(ud[0] + 1) * 8 // 7)
        septets = max(header_septets, len(ud) * 8 // 7)
        ud += bytes(-(-septets * 7 // 8) - len(ud))
        write("udh", f"{name}-gsm7", bytes([0x00, septets]) + ud)

    # Texts for split_text: octet 0 mode (bits 0-1), alphabet (2-3), wide
    # reference (4), single shift only (5), ports (6); octet 1 languages
    # (nibbles); octets 2-3 the reference.
    texts = [
        ("gsm7-concat", 0x03, 0x00, "Hello smsd from the network"),
        ("gsm7-long-numbered", 0x02, 0x00, "The quick brown fox jumps over the lazy dog. " * 8),
        ("extension-concat-wide", 0x13, 0x00, "Price: 10€ [approx] {net} ~ ^ | \\ " * 6),
        ("ucs2-concat", 0x03, 0x00, "Привет, как дела? " * 10),
        ("emoji-concat", 0x03, 0x00, "🙂👍🏽 surrogate pairs 😀 " * 8),
        ("turkish", 0x03, 0x01, "Ağaç İstanbul şehir ılık çiçek öğün ünlü " * 5),
        ("portuguese", 0x03, 0x03, "Não há ação sem razão, irmão; você está à frente " * 4),
        ("hindi-locking", 0x03, 0x06, "नमस्ते दुनिया, आप कैसे हैं? " * 6),
        ("hindi-single-only", 0x23, 0x06, "नमस्ते दुनिया " * 12),
        ("spanish-turkish", 0x01, 0x21, "¿Qué tal? ç Ğ ğ " * 10),
        ("off-too-long", 0x00, 0x00, "x" * 200),
        ("gsm7-only-emoji", 0x07, 0x00, "no GSM for 😀"),
        ("ports", 0x43, 0x00, "WAP push like " * 20),
        ("empty", 0x03, 0x00, ""),
    ]
    for name, flags, languages, text in texts:
        reference = int(hashlib.sha1(name.encode()).hexdigest()[:4], 16)
        write("split_text", name, bytes([flags, languages, reference >> 8, reference & 0xFF]) + text.encode())

    # sms_command: octet 0 the sender's type of address, then the text:
    # the RouterOS seed's examples, right and wrong.
    commands = [
        ":cmd slepens script mans_skripts",
        ':cmd slepens script "mans skripts"',
        ":cmd slepens script mans_skripts var",
        ":cmd slepens script mans_skripts var=a",
        ':cmd slepens script mans_skripts var="a a"',
        ":cmd script mans_skripts",
        ":cmd slepens script mans skripts",
        ":cmd slepens script mans_skripts var=",
        ":cmd slepens script mans_skripts var= a",
        ":cmd slepens script mans_skripts var=a a",
        "an ordinary message",
    ]
    for index, text in enumerate(commands):
        for toa in (0x91, 0x81, 0xD0):
            write("sms_command", f"seed-{index}-{toa:02x}", bytes([toa]) + text.encode())

    # spool_file: outgoing files using every kind of header.
    spool_files = [
        "To: 491721234567\n\nHello\n",
        "To: +491721234567\nAlphabet: UCS2\nFlash: yes\nReport: yes\n\nGr\u00fc\u00dfe\n",
        "To: s1234\nPriority: high\nValidity: 2 days\nAutosplit: 3\n\n" + "long " * 80 + "\n",
        "To: 491721234567\nAlphabet: binary\nHex: yes\nUDH-DATA: 05 00 03 01 02 01\n\n"
        "# comment\n0102 03\nSTRING:abc\nINLINESTRING:def\nLENGTH\n0A0B\nLENGTH\n",
        "To: 491721234567\nVoicecall: yes\n\nTONE: TIME: 15 2 1,2,#\n",
        "To: 491721234567\nInclude: other\nMacro: NAME=value\n\nhi $NAME\n",
        "To: 491721234567\nSystem_message: ToSIM\n\nx\n",
    ]
    for index, text in enumerate(spool_files):
        write("spool_file", f"seed-{index}", text.encode())


if __name__ == "__main__":
    main()
