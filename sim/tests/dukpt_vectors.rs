//! The published TDES DUKPT vectors (ANSI X9.24-1:2009, as carried by
//! openemv/dukpt and moov-io/dukpt), BDK 0123456789ABCDEFFEDCBA9876543210.

use gw_sim::dukpt::{self, Variant, ANSI_TEST_BDK};

const PLAINTEXT: &str = "4012345678909D987";

fn padded() -> Vec<u8> {
    let mut p = PLAINTEXT.as_bytes().to_vec();
    p.resize(24, 0);
    p
}

fn ksn(s: &str) -> [u8; 10] {
    dukpt::parse_ksn(s).unwrap()
}

#[test]
fn ipek() {
    let k = dukpt::ipek(&ANSI_TEST_BDK, &ksn("FFFF9876543210E00000"));
    assert_eq!(hex::encode_upper(*k), "6AC292FAA1315B4D858AB3A3D7D5933A");
}

#[test]
fn transaction_keys() {
    let k1 = dukpt::transaction_key(&ANSI_TEST_BDK, &ksn("FFFF9876543210E00001"));
    assert_eq!(hex::encode_upper(*k1), "042666B49184CFA368DE9628D0397BC9");
    let k2 = dukpt::transaction_key(&ANSI_TEST_BDK, &ksn("FFFF9876543210E00002"));
    assert_eq!(hex::encode_upper(*k2), "C46551CEF9FD24B0AA9AD834130D3BC7");
}

#[test]
fn data_request_key_after_the_one_way_step() {
    let k = dukpt::working_key(&ANSI_TEST_BDK, &ksn("FFFF9876543210E00001"), Variant::Data);
    assert_eq!(hex::encode_upper(*k), "448D3F076D8304036A55A3D7E0055A78");
}

#[test]
fn ciphertexts() {
    let c1 = dukpt::encrypt(&ANSI_TEST_BDK, &ksn("FFFF9876543210E00001"), Variant::Data, None, &padded()).unwrap();
    assert_eq!(hex::encode_upper(&c1), "FC0D53B7EA1FDA9EE68AAF2E70D9B9506229BE2AA993F04F");
    let c2 = dukpt::encrypt(&ANSI_TEST_BDK, &ksn("FFFF9876543210E00002"), Variant::Data, None, &padded()).unwrap();
    assert_eq!(hex::encode_upper(&c2), "A2B4E70F846E63D68775B7215EB4563DFD3037244C61CC13");
}

#[test]
fn decryption_inverts_encryption() {
    for variant in [Variant::Data, Variant::Pin] {
        for iv in [None, Some([1u8, 2, 3, 4, 5, 6, 7, 8])] {
            let k = ksn("FFFF9876543210E00007");
            let c = dukpt::encrypt(&ANSI_TEST_BDK, &k, variant, iv.as_ref(), &padded()).unwrap();
            let p = dukpt::decrypt(&ANSI_TEST_BDK, &k, variant, iv.as_ref(), &c).unwrap();
            assert_eq!(&p[..], &padded()[..]);
        }
    }
}

#[test]
fn the_published_ciphertext_decrypts_to_a_track_2_equivalent() {
    let c = hex::decode("FC0D53B7EA1FDA9EE68AAF2E70D9B9506229BE2AA993F04F").unwrap();
    let p = dukpt::decrypt(&ANSI_TEST_BDK, &ksn("FFFF9876543210E00001"), Variant::Data, None, &c).unwrap();
    assert_eq!(&p[..17], PLAINTEXT.as_bytes());
}
