//! HTTPS to the Domoticz test double with a self-signed certificate, as Domoticz ships one:
//! refused by default with a message, accepted when told to trust it or given it as a CA;
//! Basic authentication works over HTTPS without "Allow Basic-Auth over plain HTTP".

use std::net::SocketAddr;

use domoticz_double::{DomoticzDouble, DoubleOptions};
use linky_domoticz::client::{Auth, Connection, Domoticz, DomoticzError};

#[tokio::test]
async fn self_signed_certificate_trusted_or_given_as_a_ca() {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let double = DomoticzDouble::new(DoubleOptions::default()).unwrap();
    let running = double
        .bind_tls(
            "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
            &cert.pem(),
            &key.serialize_pem(),
        )
        .await
        .unwrap();
    let url = running.url();
    assert!(url.starts_with("https://"));
    let basic = Auth::Basic {
        user: "admin".into(),
        password: "domoticz".into(),
    };
    let connection = |accept_invalid_certs: bool, ca_file: Option<std::path::PathBuf>| Connection {
        url: url.clone(),
        auth: basic.clone(),
        accept_invalid_certs,
        ca_file,
        force_2023_2: false,
    };
    // Not trusted: a clear error, not a panic.
    let err = Domoticz::connect(&connection(false, None))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, DomoticzError::Certificate(_)), "{err}");
    assert!(err.to_string().contains("accept_invalid_certs"), "{err}");
    // Trusted as it is, Basic accepted over HTTPS.
    let d = Domoticz::connect(&connection(true, None)).await.unwrap();
    assert_eq!(d.version, "2025.1");
    // Given as a CA file.
    let dir = std::env::temp_dir().join(format!("linky-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("domoticz.pem");
    std::fs::write(&pem, cert.pem()).unwrap();
    let result = Domoticz::connect(&connection(false, Some(pem.clone()))).await;
    // A missing CA file names the file.
    let missing = Domoticz::connect(&connection(false, Some(dir.join("nope.pem"))))
        .await
        .err()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(result.unwrap().version, "2025.1");
    assert!(
        matches!(missing, DomoticzError::Tls(ref m) if m.contains("nope.pem")),
        "{missing}"
    );
}
