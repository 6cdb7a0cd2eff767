//! Drives Debian's headless Chromium (`/usr/bin/chromium`) through ChromeDriver
//! (`/usr/bin/chromedriver`) with the W3C WebDriver protocol over loopback HTTP, for tests of
//! web pages: load, wait, click, run a script, read the console, take a screenshot.
//!
//! Both come from Debian's `chromium` and `chromium-driver` packages, which `.ci/run` installs.
//! Chromium runs with the flags this sandbox needs (no sandbox as root, no background
//! networking: the machine has no outside network).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What can go wrong driving the browser.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// ChromeDriver or Chromium is not installed.
    #[error("{0} is missing: install Debian's chromium and chromium-driver packages (`bash .ci/run` does)")]
    Missing(String),
    /// ChromeDriver did not start or answer.
    #[error("chromedriver: {0}")]
    Driver(String),
    /// A WebDriver command failed.
    #[error("webdriver {command}: {message}")]
    Command {
        /// The command.
        command: String,
        /// What the driver said.
        message: String,
    },
    /// A wait ran out.
    #[error("timed out after {0:?} waiting for: {1}")]
    Timeout(Duration, String),
    /// Writing a screenshot failed.
    #[error("cannot write {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// A console message the page produced.
#[derive(Debug, Clone)]
pub struct ConsoleMessage {
    /// `SEVERE`, `WARNING`, `INFO`...
    pub level: String,
    /// The text, with its source.
    pub message: String,
}

/// A ChromeDriver process and one headless Chromium session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    profile: PathBuf,
}

fn free_port() -> Result<u16, BrowserError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BrowserError::Driver(format!("no free port: {e}")))
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium showing pages on a `width` × `height` CSS
    /// pixel screen.
    pub async fn start(width: u32, height: u32) -> Result<Browser, BrowserError> {
        // reqwest is built without a default TLS provider in this workspace; loopback HTTP
        // needs none, but a client cannot be built without one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            if !Path::new(program).exists() {
                return Err(BrowserError::Missing(program.into()));
            }
        }
        let port = free_port()?;
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| BrowserError::Driver(e.to_string()))?;
        let profile =
            std::env::temp_dir().join(format!("headless-chromium-{}-{port}", std::process::id()));
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            http: reqwest::Client::new(),
            profile,
        };
        browser.wait_driver().await?;
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", browser.profile.display()),
        ];
        let answer = browser
            .call(
                reqwest::Method::POST,
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    // Device metrics, not a window size: headless windows have a minimum width
                    // larger than a phone's.
                    "goog:chromeOptions": {
                        "binary": "/usr/bin/chromium",
                        "args": args,
                        "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}},
                    },
                    "goog:loggingPrefs": {"browser": "ALL"},
                }}})),
            )
            .await?;
        browser.session = answer["sessionId"]
            .as_str()
            .ok_or_else(|| BrowserError::Driver(format!("no session in {answer}")))?
            .to_owned();
        Ok(browser)
    }

    async fn wait_driver(&self) -> Result<(), BrowserError> {
        for _ in 0..100 {
            if let Ok(r) = self.http.get(format!("{}/status", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BrowserError::Driver("did not answer within 10 s".into()))
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, BrowserError> {
        let command = format!("{method} {path}");
        let failed = |message: String| BrowserError::Command {
            command: command.clone(),
            message,
        };
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let value: Value = response.json().await.map_err(|e| failed(e.to_string()))?;
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}: {}", value["value"])));
        }
        Ok(value["value"].clone())
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Opens a page and waits for it to load.
    pub async fn open(&self, url: &str) -> Result<(), BrowserError> {
        self.call(
            reqwest::Method::POST,
            &self.session_path("/url"),
            Some(json!({ "url": url })),
        )
        .await
        .map(|_| ())
    }

    /// Runs a script in the page (`return ...;` gives its value).
    pub async fn script(&self, script: &str) -> Result<Value, BrowserError> {
        self.call(
            reqwest::Method::POST,
            &self.session_path("/execute/sync"),
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Waits until `expression` is truthy in the page.
    pub async fn wait_for(
        &self,
        expression: &str,
        timeout: Duration,
    ) -> Result<Value, BrowserError> {
        let start = std::time::Instant::now();
        loop {
            let value = self.script(&format!("return ({expression});")).await?;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            if truthy {
                return Ok(value);
            }
            if start.elapsed() > timeout {
                return Err(BrowserError::Timeout(timeout, expression.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first element matching a CSS selector.
    pub async fn click(&self, selector: &str) -> Result<(), BrowserError> {
        let found = self
            .call(
                reqwest::Method::POST,
                &self.session_path("/element"),
                Some(json!({ "using": "css selector", "value": selector })),
            )
            .await?;
        let id = found[ELEMENT]
            .as_str()
            .ok_or_else(|| BrowserError::Command {
                command: format!("find {selector}"),
                message: found.to_string(),
            })?
            .to_owned();
        self.call(
            reqwest::Method::POST,
            &self.session_path(&format!("/element/{id}/click")),
            Some(json!({})),
        )
        .await
        .map(|_| ())
    }

    /// The console messages since the last call (ChromeDriver's `browser` log).
    pub async fn console(&self) -> Result<Vec<ConsoleMessage>, BrowserError> {
        let entries = self
            .call(
                reqwest::Method::POST,
                &self.session_path("/se/log"),
                Some(json!({ "type": "browser" })),
            )
            .await?;
        Ok(entries
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|e| ConsoleMessage {
                        level: e["level"].as_str().unwrap_or_default().to_owned(),
                        message: e["message"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Saves a PNG screenshot of the window.
    pub async fn screenshot(&self, path: &Path) -> Result<(), BrowserError> {
        let data = self
            .call(
                reqwest::Method::GET,
                &self.session_path("/screenshot"),
                None,
            )
            .await?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .map_err(|e| BrowserError::Command {
                command: "screenshot".into(),
                message: e.to_string(),
            })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| BrowserError::Io(dir.to_owned(), e))?;
        }
        std::fs::write(path, bytes).map_err(|e| BrowserError::Io(path.to_owned(), e))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session's Chromium is a child of ChromeDriver: ending the session ends it, and
        // killing ChromeDriver afterwards leaves nothing behind.
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        let _ = reqwest::Client::new().delete(url).send().await;
                    });
                }
            })
            .join();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
