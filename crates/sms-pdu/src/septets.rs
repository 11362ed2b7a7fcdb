//! Packing of 7-bit septets into octets (3GPP TS 23.038 6.1.2.1.1).
//!
//! Septets are laid into a bit stream least significant bit first. When the
//! user data starts with a header, the first septet begins on a septet
//! boundary counted from the start of the user data, so `fill_bits` zero bits
//! separate the header from the text (TS 23.040 9.2.3.24).

/// Octets needed for `count` septets after `fill_bits` fill bits.
pub fn packed_len(count: usize, fill_bits: u8) -> usize {
    (count * 7 + usize::from(fill_bits)).div_ceil(8)
}

/// The fill bits that follow a user data header of `header_octets` octets
/// (UDHL included) so that the text starts on a septet boundary.
pub fn fill_bits_after_header(header_octets: usize) -> u8 {
    ((7 - (header_octets * 8) % 7) % 7) as u8
}

/// Septets taken by a header of `header_octets` octets and its fill bits.
pub fn header_septets(header_octets: usize) -> usize {
    (header_octets * 8).div_ceil(7)
}

/// Appends `septets` packed after `fill_bits` zero bits to `out`.
pub fn pack_into(septets: &[u8], fill_bits: u8, out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + packed_len(septets.len(), fill_bits), 0);
    let packed = &mut out[start..];
    for (septet_idx, &septet) in septets.iter().enumerate() {
        let bit = usize::from(fill_bits) + septet_idx * 7;
        let (octet_idx, shift) = (bit / 8, bit % 8);
        let septet = u16::from(septet & 0x7F) << shift;
        packed[octet_idx] |= septet as u8;
        if shift > 1 {
            packed[octet_idx + 1] |= (septet >> 8) as u8;
        }
    }
}

/// Packs `septets` after `fill_bits` zero bits.
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(packed_len(septets.len(), fill_bits));
    pack_into(septets, fill_bits, &mut out);
    out
}

/// Reads up to `count` septets that follow `fill_bits` bits in `octets`;
/// fewer if the octets run out.
pub fn unpack(octets: &[u8], fill_bits: u8, count: usize) -> Vec<u8> {
    let available = (octets.len() * 8).saturating_sub(usize::from(fill_bits)) / 7;
    let count = count.min(available);
    let mut septets = Vec::with_capacity(count);
    for septet_idx in 0..count {
        let bit = usize::from(fill_bits) + septet_idx * 7;
        let (octet_idx, shift) = (bit / 8, bit % 8);
        let low = u16::from(octets[octet_idx]);
        let high = octets.get(octet_idx + 1).copied().map_or(0, u16::from);
        septets.push((((high << 8) | low) >> shift) as u8 & 0x7F);
    }
    septets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::decode_hex;

    /// TS 23.038 6.1.2.1.1 example: "hellohello" packs to E8329BFD4697D9EC37.
    #[test]
    fn spec_example_hellohello() {
        let septets: Vec<u8> = b"hellohello".to_vec();
        assert_eq!(pack(&septets, 0), decode_hex("E8329BFD4697D9EC37").unwrap());
        assert_eq!(unpack(&pack(&septets, 0), 0, 10), septets);
    }

    /// Eight septets fill exactly seven octets.
    #[test]
    fn eight_septets_seven_octets() {
        assert_eq!(packed_len(8, 0), 7);
        assert_eq!(packed_len(7, 0), 7);
        assert_eq!(packed_len(9, 0), 8);
        assert_eq!(packed_len(1, 1), 1);
        assert_eq!(packed_len(1, 2), 2);
    }

    #[test]
    fn fill_bits_for_common_headers() {
        // 6-octet concatenation header (UDHL + 5): 48 bits, 1 fill bit.
        assert_eq!(fill_bits_after_header(6), 1);
        assert_eq!(header_septets(6), 7);
        // 7-octet header (16-bit reference): 56 bits, no fill.
        assert_eq!(fill_bits_after_header(7), 0);
        assert_eq!(header_septets(7), 8);
        assert_eq!(fill_bits_after_header(4), 3);
    }

    #[test]
    fn unpack_stops_at_the_data_end() {
        assert_eq!(unpack(&[0xFF], 0, 5), vec![0x7F]);
        assert_eq!(unpack(&[], 3, 5), Vec::<u8>::new());
    }
}
