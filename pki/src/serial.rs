//! Random certificate serial numbers.

use rand::RngCore;
use rcgen::SerialNumber;

/// A fresh random 128-bit serial number, with its lowercase hex form.
///
/// The DER encoder writes the bytes as a positive INTEGER (it adds a leading zero byte when
/// the top bit is set and drops leading zero bytes), so all 128 bits stay random. The hex
/// form is the integer's value without leading zeros, the same value `openssl x509 -serial`
/// prints (in lowercase).
pub(crate) fn random_serial() -> (SerialNumber, String) {
    let mut bytes = [0u8; 16];
    // Zero is not a valid serial; drawing it is a 2^-128 event, but cheap to rule out.
    while bytes.iter().all(|b| *b == 0) {
        rand::rngs::OsRng.fill_bytes(&mut bytes);
    }
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(0);
    let hex = hex::encode(&bytes[first..]);
    let hex = hex.strip_prefix('0').unwrap_or(&hex).to_string();
    (SerialNumber::from_slice(&bytes), hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_random_and_hex_has_no_leading_zero() {
        let (a, a_hex) = random_serial();
        let (b, b_hex) = random_serial();
        assert_ne!(a, b);
        assert_ne!(a_hex, b_hex);
        for hex in [a_hex, b_hex] {
            assert!(!hex.starts_with('0'), "{hex}");
            assert!(hex.len() <= 32, "{hex}");
            assert!(hex.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
    }
}
