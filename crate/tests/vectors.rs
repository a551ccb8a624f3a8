//! Known-answer tests for the primitives, through the crate's own wrappers
//! (`crypto::*`), which are what seal/open use.

use wasm_session_core::crypto::{aes256, cfb_decrypt, cfb_encrypt, hkdf_extract, MacKey};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn seq(len: usize, start: u8) -> Vec<u8> {
    (0..len).map(|i| start.wrapping_add(i as u8)).collect()
}

// NIST SP 800-38A, F.3.17 (CFB128-AES256.Encrypt) and F.3.18 (.Decrypt).
const CFB_KEY: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const CFB_IV: &str = "000102030405060708090a0b0c0d0e0f";
const CFB_PT: &str = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                      30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
const CFB_CT: &str = "dc7e84bfda79164b7ecd8486985d3860 39ffed143b28b1c832113c6331e5407b
                      df10132415e54b92a13ed0a8267ae2f9 75a385741ab9cef82031623d55b1e471";

fn cfb_setup() -> (wasm_session_core::crypto::Aes256, [u8; 16]) {
    let key: [u8; 32] = hex(CFB_KEY).try_into().unwrap();
    let iv: [u8; 16] = hex(CFB_IV).try_into().unwrap();
    (aes256(&key), iv)
}

#[test]
fn nist_f3_17_cfb128_aes256_encrypt() {
    let (cipher, iv) = cfb_setup();
    let mut buf = hex(CFB_PT);
    cfb_encrypt(&cipher, &iv, &mut buf);
    assert_eq!(buf, hex(CFB_CT));
}

#[test]
fn nist_f3_18_cfb128_aes256_decrypt() {
    let (cipher, iv) = cfb_setup();
    let mut buf = hex(CFB_CT);
    cfb_decrypt(&cipher, &iv, &mut buf);
    assert_eq!(buf, hex(CFB_PT));
}

#[test]
fn cfb_partial_final_block_is_truncated_keystream() {
    // Every prefix of the NIST vector encrypts to the same-length prefix
    // of its ciphertext (no padding), both ways.
    let (cipher, iv) = cfb_setup();
    let (pt, ct) = (hex(CFB_PT), hex(CFB_CT));
    for n in 0..=pt.len() {
        let mut buf = pt[..n].to_vec();
        cfb_encrypt(&cipher, &iv, &mut buf);
        assert_eq!(buf, ct[..n], "encrypt prefix {n}");
        cfb_decrypt(&cipher, &iv, &mut buf);
        assert_eq!(buf, pt[..n], "decrypt prefix {n}");
    }
}

#[test]
fn rfc4231_hmac_sha256() {
    let big_key = vec![0xaa; 131];
    let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
        // 1
        (vec![0x0b; 20], b"Hi There".to_vec(),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        // 2
        (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        // 3
        (vec![0xaa; 20], vec![0xdd; 50],
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        // 4
        (seq(25, 1), vec![0xcd; 50],
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        // 6 (5 is a truncated-output case, not used by the format)
        (big_key.clone(), b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        // 7
        (big_key, b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ];
    for (i, (key, data, want)) in cases.iter().enumerate() {
        let mac = MacKey::new(key);
        let want = hex(want);
        assert_eq!(mac.compute(&[data]).to_vec(), want, "case {i}");
        // The keyed state is reusable and split input is equivalent.
        let (a, b) = data.split_at(data.len() / 2);
        assert_eq!(mac.compute(&[a, b]).to_vec(), want, "case {i} split");
        assert!(mac.verify(&[data], &want), "case {i} verify");
        let mut bad = want.clone();
        bad[31] ^= 1;
        assert!(!mac.verify(&[data], &bad), "case {i} verify bad");
        assert!(!mac.verify(&[data], &want[..31]), "case {i} verify short");
    }
}

#[test]
fn rfc5869_hkdf_sha256() {
    let cases = [
        // 1
        (
            vec![0x0b; 22],
            seq(13, 0),
            seq(10, 0xf0),
            42,
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        ),
        // 2
        (
            seq(80, 0),
            seq(80, 0x60),
            seq(80, 0xb0),
            82,
            "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c
          59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71
          cc30c58179ec3e87c14c01d5c1f3434f1d87",
        ),
        // 3 (empty salt and info)
        (
            vec![0x0b; 22],
            vec![],
            vec![],
            42,
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        ),
    ];
    for (i, (ikm, salt, info, len, prk_hex, okm_hex)) in cases.iter().enumerate() {
        let (prk_bytes, prk) = hkdf_extract(salt, ikm);
        assert_eq!(prk_bytes.to_vec(), hex(prk_hex), "case {i} prk");
        let mut okm = vec![0u8; *len];
        assert!(prk.expand(&[info], &mut okm));
        assert_eq!(okm, hex(okm_hex), "case {i} okm");
        // Info given in pieces, as the key derivation does ("enc " + name).
        let (a, b) = info.split_at(info.len() / 2);
        let mut okm2 = vec![0u8; *len];
        assert!(prk.expand(&[a, b], &mut okm2));
        assert_eq!(okm2, okm, "case {i} multi-info");
    }
    let (_, prk) = hkdf_extract(b"s", b"k");
    assert!(!prk.expand(&[], &mut vec![0u8; 255 * 32 + 1]));
}

#[test]
fn cfb_matches_cfb_mode_reference_for_every_length() {
    // crypto::cfb_decrypt batches the keystream itself; check it (and the
    // BufEncryptor-based cfb_encrypt) against cfb_mode's Encryptor and
    // Decryptor for all lengths up to past two decrypt batches.
    use aes::cipher::{AsyncStreamCipher, KeyIvInit};
    type RefEnc = cfb_mode::Encryptor<aes::Aes256>;
    type RefDec = cfb_mode::Decryptor<aes::Aes256>;
    let mut x: u32 = 12345;
    let mut byte = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as u8
    };
    for len in 0..=300 {
        let key: [u8; 32] = core::array::from_fn(|_| byte());
        let iv: [u8; 16] = core::array::from_fn(|_| byte());
        let pt: Vec<u8> = (0..len).map(|_| byte()).collect();
        let cipher = aes256(&key);

        let mut want = pt.clone();
        RefEnc::new(&key.into(), &iv.into()).encrypt(&mut want);
        let mut got = pt.clone();
        cfb_encrypt(&cipher, &iv, &mut got);
        assert_eq!(got, want, "encrypt len {len}");

        RefDec::new(&key.into(), &iv.into()).decrypt(&mut want);
        cfb_decrypt(&cipher, &iv, &mut got);
        assert_eq!(got, pt, "decrypt len {len}");
        assert_eq!(want, pt, "reference decrypt len {len}");
    }
}
