//! Known answers for AES DUKPT from the ANSI X9.24-3-2017 test vectors
//! (Annex B and the X9 supplement of test vectors): BDK
//! FEDCBA9876543210F1F1F1F1F1F1F1F1 (AES-128) and the same twice (AES-256),
//! initial key ID 1234567890123456. The supplement's values are carried by
//! several public implementations (openemv/dukpt's test/dukpt_aes*_test.c
//! among them) and agree across them. The ciphertexts are OpenSSL's
//! `enc -aes-{128,256}-cbc -nopad` under the published data keys: an
//! independent check of the CBC step. Then the host's failure cases.

use gw_sim::aes_dukpt::{self, AesBdk, AesDukptError, DataKeyUsage, KeySize};
use gw_sim::dukpt;
use gw_sim::p2pe::{self, Field, HostKeys, Scheme};

const IKID: &str = "1234567890123456";

fn ksn(counter: u32) -> [u8; 12] {
    aes_dukpt::parse_ksn(&format!("{IKID}{counter:08X}")).unwrap()
}

fn bdk(size: KeySize) -> AesBdk {
    AesBdk::ansi_test(size)
}

#[test]
fn initial_keys() {
    let ikid = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
    let ik = aes_dukpt::initial_key(&bdk(KeySize::Aes128), &ikid);
    assert_eq!(hex::encode_upper(&ik[..]), "1273671EA26AC29AFA4D1084127652A1");
    let ik = aes_dukpt::initial_key(&bdk(KeySize::Aes256), &ikid);
    assert_eq!(hex::encode_upper(&ik[..]), "CE9CE0C101D1138F97FB6CAD4DF045A7083D4EAE2D35A31789D01CCF0949550F");
}

/// The supplement's "transaction / derivation keys": the ladder over the
/// counter's set bits, most significant first. 0x1FFFF (17 bits) is in the
/// supplement although no terminal may use it.
const LADDER_128: &[(u32, &str)] = &[
    (1, "4F21B565BAD9835E112B6465635EAE44"),
    (2, "2F34D68DE10F68D38091A73B9E7C437C"),
    (3, "031504E530365CF81264238540518318"),
    (4, "0EEFC7ADA628BA68878DA9165A8A1887"),
    (5, "C2A7AC328A5DA2D6002D62465BFC028B"),
    (6, "D30F7D9351DA58448A2F5E92B4EE3B7D"),
    (7, "A8253CEED9AC042C54F75D35C8352278"),
    (8, "718EE6CF0B27E53D5F7AF99C4D8146A2"),
    (0x0001_FFFE, "E21E8C8D347F8561A2BE752DAA85A111"),
    (0x0001_FFFF, "1FE368988089CDD76DA18A3458E113BA"),
    (0x0002_0000, "F7AE9025468A25D37B7249CFFED224C8"),
    (0x0002_0001, "692C8EA4013645135B36497131DF9D2C"),
    (0xFFFE_2000, "48E585B694EB0B18D5C35443E163C0BA"),
    (0xFFFE_4000, "396C2C7CA1EA701C03B86B7D41F0C562"),
    (0xFFFE_8000, "0387625F189B58AE03EF0E8CCA41105E"),
    (0xFFFF_0000, "F6BA59389BD14A9855BE9727E7C52E3C"),
];

const LADDER_256: &[(u32, &str)] = &[
    (1, "54AC2B32B145EA4A554CB8BC44B17467063A799856B1CCC2A138D36E8DBF78B3"),
    (2, "5DD5A0253842BBBE1D7C0DA27021412C6F1FAB53FB928DEAE56DA06090A9DE97"),
    (3, "8EEEF7C464AE415BB1D73FAED21993CD669F7999092A579EC6DD3CC680C65171"),
    (4, "C18CBED570B3B89ECADA7CEC9C224CD5A86ECF3DE377D3EFAB720F8C4D76B9D0"),
    (5, "6B3C3C93307151C25DC2309456F01C5C3108DAD571C321899A9B7E0C009FD2EB"),
    (6, "B8BB61AE3E2D5CD8C699E0C578FB2C7B89B0C0CF02DBAB60864D8049C986C844"),
    (7, "88D0ACA287B3066F5DE0C93396337D4C2DA8D92C1F720A576D62CEB4C979E01E"),
    (8, "20A796D5077D51B8E7613893A4F095B134E02917DC84BD391F3661D0873FF308"),
    (0x0001_FFFE, "A289508CBF1228452CD86AB77B15CB35577AC828C18BB66681E5A16D6C9CCED3"),
    (0x0002_0000, "D62DDA94A47D7DA5D763443B4ECB15EA8DD62E0E4F915958BA459591F8312E37"),
    (0x0002_0001, "44110A1102748D4A3AC326F53D8CAC650212590CA7126D54546DDE0F20E89CEE"),
    (0xFFFE_2000, "4625EB06E4886D4AFCC9AE37ED4F4E4E1653C9E60E3F24742A87A26AA96AB7A6"),
    (0xFFFE_4000, "FF20E1BB575539ACCB44E3111BE8757F83AE8549A2DD71B441A4A424F7FFD4B1"),
    (0xFFFE_8000, "630535C9C53E1EC6524016930B56F6728909C45403536B419AEBCB25B7351C07"),
    (0xFFFF_0000, "6D6DB7AAAE8B3EA90E57A39E4BBA71E173B21B446B30A78D64BFC6A8806C55EE"),
];

#[test]
fn derivation_key_ladder() {
    for (size, table) in [(KeySize::Aes128, LADDER_128), (KeySize::Aes256, LADDER_256)] {
        for &(counter, want) in table {
            let key = aes_dukpt::derivation_key(&bdk(size), &ksn(counter));
            assert_eq!(hex::encode_upper(&key[..]), want, "{size:?} counter {counter:#X}");
        }
    }
}

/// "Data encryption, encrypt" working keys, AES-128 from the AES-128 BDK.
const DATA_ENCRYPT_128: &[(u32, &str)] = &[
    (1, "A35C412EFD41FDB98B69797C02DCD08F"),
    (2, "D639514AA33AC43AD9229E433D6D4E5B"),
    (3, "EF17F6AB45B4820C93A3DCB21BC491AD"),
    (4, "B3BD44C08BB6BA27C3BB4711D7D70387"),
    (5, "CA02DF6F30B39E14BD0B4A30E460920F"),
    (6, "C9B8A7C4E486180B2229115164F0B293"),
    (7, "0FA8F1F0A2DD7B1005A862D77CDED698"),
    (8, "650F34204ABD4E57764D61AC3D266FB1"),
    (0x0001_FFFE, "8E4E5D5E0F01C54F01F4ACA1C8F8EDCE"),
    (0x0001_FFFF, "D18ACA30B4D63DB61CE474D3F57733D3"),
    (0x0002_0000, "13361208975755318FE7AE28C9616014"),
];

#[test]
fn data_working_keys() {
    let b128 = bdk(KeySize::Aes128);
    for &(counter, want) in DATA_ENCRYPT_128 {
        let key = aes_dukpt::working_key(&b128, &ksn(counter), DataKeyUsage::Encrypt, KeySize::Aes128);
        assert_eq!(hex::encode_upper(&key[..]), want, "counter {counter:#X}");
    }
    let both = aes_dukpt::working_key(&b128, &ksn(1), DataKeyUsage::BothWays, KeySize::Aes128);
    assert_eq!(hex::encode_upper(&both[..]), "A308E080DD15A1B741F1721BF67DE11C");

    let b256 = bdk(KeySize::Aes256);
    let key = aes_dukpt::working_key(&b256, &ksn(1), DataKeyUsage::Encrypt, KeySize::Aes256);
    assert_eq!(hex::encode_upper(&key[..]), "71EB36C9A6B7F801D1D1700C29741FC5A5C4E9B45D742DA7AF6992B8AA29AF58");
    // An AES-128 data key from the AES-256 BDK (the standard allows shorter).
    let key = aes_dukpt::working_key(&b256, &ksn(1), DataKeyUsage::Encrypt, KeySize::Aes128);
    assert_eq!(hex::encode_upper(&key[..]), "616D59AE91F8CC7016F89FDA29605FA4");
}

#[test]
fn ciphertexts_under_the_published_keys() {
    // AES-128, counter 1, data key A35C41…, zero IV.
    let c =
        aes_dukpt::encrypt(&bdk(KeySize::Aes128), &ksn(1), DataKeyUsage::Encrypt, None, b"4761739001010010").unwrap();
    assert_eq!(hex::encode_upper(&c), "2319CC5A1D41AF9A770604B2F2632780");
    // Both ways, counter 1, data key A308E0…, zero IV.
    let c =
        aes_dukpt::encrypt(&bdk(KeySize::Aes128), &ksn(1), DataKeyUsage::BothWays, None, b"4761739001010010").unwrap();
    assert_eq!(hex::encode_upper(&c), "C98ED1B96506D98DCA7D1FC44B87C207");
    // AES-256, counter 1, data key 71EB36…, an IV, a 32-byte track 2.
    let iv: [u8; 16] = core::array::from_fn(|i| 15 - i as u8);
    let track2 = b";4761739001010010=4912101000000?";
    let b256 = bdk(KeySize::Aes256);
    let c = aes_dukpt::encrypt(&b256, &ksn(1), DataKeyUsage::Encrypt, Some(&iv), track2).unwrap();
    assert_eq!(hex::encode_upper(&c), "BEE7692A4EA6882C43481A8708BC2E485458EEFC27B886B92D5602E3488E5E04");
    let p = aes_dukpt::decrypt(&b256, &ksn(1), DataKeyUsage::Encrypt, Some(&iv), &c).unwrap();
    assert_eq!(&p[..], &track2[..]);
}

fn host<'a>(aes_bdk: &'a AesBdk) -> HostKeys<'a> {
    HostKeys {
        tdes_bdk: &dukpt::ANSI_TEST_BDK,
        variant: dukpt::Variant::Data,
        aes_bdk,
        aes_usage: DataKeyUsage::Encrypt,
    }
}

#[test]
fn the_host_tells_the_schemes_apart_by_the_ksn_length() {
    assert_eq!(Scheme::of_ksn("FFFF9876543210E00001"), Some(Scheme::Tdes));
    assert_eq!(Scheme::of_ksn("123456789012345600000001"), Some(Scheme::Aes));
    assert_eq!(Scheme::of_ksn("1234567890123456000001"), None);
    let b = bdk(KeySize::Aes128);
    let p = p2pe::decrypt(&host(&b), "123456789012345600000001", None, "2319CC5A1D41AF9A770604B2F2632780").unwrap();
    assert_eq!(&p[..], b"4761739001010010");
    let tdes = "FC0D53B7EA1FDA9EE68AAF2E70D9B9506229BE2AA993F04F";
    let p = p2pe::decrypt(&host(&b), "FFFF9876543210E00001", None, tdes).unwrap();
    assert_eq!(&p[..17], b"4012345678909D987");
}

#[test]
fn the_host_refuses_what_no_terminal_sends() {
    let b = bdk(KeySize::Aes128);
    let fail = |ksn: &str, iv: Option<&str>, payload: &str| p2pe::decrypt(&host(&b), ksn, iv, payload).unwrap_err();
    let block = "2319CC5A1D41AF9A770604B2F2632780";
    // Counter zero, and counters with 17 and 32 bits set.
    for counter in ["00000000", "0001FFFF", "FFFFFFFF"] {
        let e = fail(&format!("{IKID}{counter}"), None, block);
        assert_eq!(e.field, Field::KeySerialNumber, "{counter}");
        assert!(e.message.contains("at most 16 bits set"), "{}", e.message);
    }
    // 16 bits set is the most a terminal uses: it decrypts (to noise here).
    assert!(p2pe::decrypt(&host(&b), "1234567890123456FFFF0000", None, block).is_ok());
    // Not a whole number of AES blocks (a TDES-sized payload under an AES KSN).
    let e = fail("123456789012345600000001", None, &block[..16]);
    assert_eq!(e.field, Field::Payload);
    assert_eq!(e.message, "The payload is not a whole number of 16-byte AES blocks");
    let e = fail("123456789012345600000001", None, &format!("{block}{}", &block[..16]));
    assert_eq!(e.field, Field::Payload);
    // A TDES-sized IV with an AES KSN, and the other way round.
    let e = fail("123456789012345600000001", Some("0001020304050607"), block);
    assert_eq!(e.field, Field::InitializationVector);
    let e = fail("FFFF9876543210E00001", Some(&"00".repeat(16)), block);
    assert_eq!(e.field, Field::InitializationVector);
    // A KSN of neither length.
    assert_eq!(fail("1234567890123456000001", None, block).field, Field::KeySerialNumber);
    assert_eq!(fail("12345678901234560000000G", None, block).field, Field::KeySerialNumber);
    assert_eq!(fail("123456789012345600000001", None, "XY").field, Field::Payload);
}

#[test]
fn a_wrong_bdk_decrypts_to_no_card() {
    let terminal = gw_sim::terminal::AesTerminalOptions::default();
    let encrypted = gw_sim::terminal::encrypt_aes("4761739001010010", &terminal).unwrap();
    let other = AesBdk::new(&[0x11; 16]).unwrap();
    let plain = p2pe::decrypt(&host(&other), &encrypted.ksn, None, &encrypted.payload).unwrap();
    assert!(gw_sim::cards::parse_plaintext(&plain).is_err());
    let right = bdk(KeySize::Aes128);
    let plain = p2pe::decrypt(&host(&right), &encrypted.ksn, None, &encrypted.payload).unwrap();
    assert_eq!(&*gw_sim::cards::parse_plaintext(&plain).unwrap().pan, "4761739001010010");
}

#[test]
fn encryption_checks_like_decryption() {
    let b = bdk(KeySize::Aes256);
    let e = aes_dukpt::encrypt(&b, &ksn(0), DataKeyUsage::Encrypt, None, &[0; 16]).unwrap_err();
    assert_eq!(e, AesDukptError::BadCounter);
    let e = aes_dukpt::encrypt(&b, &ksn(1), DataKeyUsage::Encrypt, None, &[0; 8]).unwrap_err();
    assert_eq!(e, AesDukptError::BadLength);
    assert!(aes_dukpt::decrypt(&b, &ksn(1), DataKeyUsage::Encrypt, None, &[]).is_err());
}
