//! Certificates and TLS: a throwaway server CA and certificate (rcgen), a
//! client CA that issues merchant certificates for certificate
//! authentication, the rustls server configuration, and reading the
//! merchant from a client certificate's subject CN.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// A PKI or TLS setup failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiError(pub String);

impl std::fmt::Display for PkiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PkiError {}

fn err(context: &str) -> impl Fn(rcgen::Error) -> PkiError + '_ {
    move |e| PkiError(format!("{context}: {e}"))
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "gw-sim");
    dn.push(DnType::CommonName, common_name);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p
}

/// A certificate authority held in memory, able to issue certificates.
pub struct Authority {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Authority {
    fn generate(common_name: &str) -> Result<Authority, PkiError> {
        let key = KeyPair::generate().map_err(err("generating a CA key"))?;
        let cert = ca_params(common_name).self_signed(&key).map_err(err("self-signing the CA"))?;
        Ok(Authority { cert, key })
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.cert.pem()
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    fn issue(&self, params: CertificateParams) -> Result<(rcgen::Certificate, KeyPair), PkiError> {
        let key = KeyPair::generate().map_err(err("generating a key"))?;
        let cert = params.signed_by(&key, &self.cert, &self.key).map_err(err("signing a certificate"))?;
        Ok((cert, key))
    }
}

/// A server identity: certificate chain, private key, and the CA to trust.
pub struct ServerIdentity {
    pub cert_chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// PEM of the CA that signed the certificate, when generated here.
    pub ca_pem: Option<String>,
}

impl ServerIdentity {
    /// A throwaway CA and a server certificate for 127.0.0.1, ::1 and localhost.
    pub fn generate() -> Result<ServerIdentity, PkiError> {
        let ca = Authority::generate("gw-sim throwaway CA")?;
        let mut p = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()])
            .map_err(err("server certificate names"))?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, "localhost");
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let (cert, key) = ca.issue(p)?;
        Ok(ServerIdentity {
            cert_chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| PkiError(e.to_string()))?,
            ca_pem: Some(ca.ca_pem()),
        })
    }

    /// A certificate chain and key from PEM text.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<ServerIdentity, PkiError> {
        let cert_chain = certs_from_pem(cert_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| PkiError(format!("reading the private key PEM: {e}")))?;
        Ok(ServerIdentity { cert_chain, key, ca_pem: None })
    }
}

/// Every certificate in a PEM text (at least one).
pub fn certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError(format!("reading certificate PEM: {e}")))?;
    if certs.is_empty() {
        return Err(PkiError("no certificate in the PEM text".into()));
    }
    Ok(certs)
}

/// A client CA for certificate authentication: its certificates name the
/// merchant in their subject CN.
pub struct ClientCa {
    authority: Authority,
}

impl ClientCa {
    /// A new client CA (ECDSA P-256).
    pub fn generate() -> Result<ClientCa, PkiError> {
        Ok(ClientCa { authority: Authority::generate("gw-sim client CA")? })
    }

    /// The CA certificate to configure the simulator with (`--client-ca`).
    pub fn ca_pem(&self) -> String {
        self.authority.ca_pem()
    }

    /// A client certificate for `merchant` (subject CN) and its private key,
    /// both PEM (the key in PKCS#8).
    pub fn issue(&self, merchant: &str) -> Result<(String, String), PkiError> {
        let mut p = CertificateParams::default();
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, merchant);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let (cert, key) = self.authority.issue(p)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// The rustls server configuration (ring provider, TLS 1.2 and 1.3). With a
/// client CA, every client must present a certificate chaining to it.
pub fn server_config(identity: &ServerIdentity, client_ca_pem: Option<&str>) -> Result<Arc<ServerConfig>, PkiError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| PkiError(format!("TLS versions: {e}")))?;
    let builder = match client_ca_pem {
        Some(pem) => {
            let mut roots = RootCertStore::empty();
            for c in certs_from_pem(pem)? {
                roots.add(c).map_err(|e| PkiError(format!("client CA certificate: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| PkiError(format!("client certificate verifier: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(identity.cert_chain.clone(), identity.key.clone_key())
        .map_err(|e| PkiError(format!("server certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The subject common name of a DER certificate.
pub fn subject_common_name(cert_der: &[u8]) -> Option<String> {
    let (_, cert, _) = der_tlv(cert_der)?; // Certificate SEQUENCE
    let (_, tbs, _) = der_tlv(cert)?; // TBSCertificate SEQUENCE
    let mut rest = tbs;
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let (tag, content, next) = der_tlv(rest)?;
        fields.push((tag, content));
        rest = next;
    }
    // [0] version (optional), serial, signature, issuer, validity, subject.
    let skip = usize::from(fields.first()?.0 == 0xA0);
    let (tag, subject) = *fields.get(skip + 4)?;
    if tag != 0x30 {
        return None;
    }
    let mut rdns = subject;
    let mut cn = None;
    while !rdns.is_empty() {
        let (_, set, next) = der_tlv(rdns)?;
        rdns = next;
        let mut atvs = set;
        while !atvs.is_empty() {
            let (_, atv, after) = der_tlv(atvs)?;
            atvs = after;
            let (oid_tag, oid, value_rest) = der_tlv(atv)?;
            if oid_tag == 0x06 && oid == [0x55, 0x04, 0x03] {
                let (_, value, _) = der_tlv(value_rest)?;
                cn = Some(String::from_utf8(value.to_vec()).ok()?);
            }
        }
    }
    cn
}

/// One DER tag-length-value: (tag, content, rest).
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*input.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let content = input.get(header..end)?;
    Some((tag, content, &input[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_certificates_name_the_merchant() {
        let ca = ClientCa::generate().unwrap();
        let (cert_pem, key_pem) = ca.issue("TESTMERCHANT").unwrap();
        assert!(key_pem.contains("PRIVATE KEY"));
        let der = certs_from_pem(&cert_pem).unwrap().remove(0);
        assert_eq!(subject_common_name(&der).as_deref(), Some("TESTMERCHANT"));
        let ca_der = certs_from_pem(&ca.ca_pem()).unwrap().remove(0);
        assert_eq!(subject_common_name(&ca_der).as_deref(), Some("gw-sim client CA"));
    }

    #[test]
    fn der_parser_rejects_garbage() {
        assert_eq!(subject_common_name(&[]), None);
        assert_eq!(subject_common_name(&[0x30, 0x85, 1, 2, 3, 4, 5]), None);
        assert_eq!(subject_common_name(&[0x30, 0x03, 0x30, 0x01]), None);
    }

    #[test]
    fn server_configs_build() {
        let id = ServerIdentity::generate().unwrap();
        assert!(id.ca_pem.as_deref().unwrap().contains("BEGIN CERTIFICATE"));
        assert!(server_config(&id, None).is_ok());
        let ca = ClientCa::generate().unwrap();
        assert!(server_config(&id, Some(&ca.ca_pem())).is_ok());
        assert!(server_config(&id, Some("not pem")).is_err());
    }
}
