//! The web console in a real headless browser (Debian's chromium, driven
//! by chromedriver over WebDriver, the W3C protocol spoken with reqwest):
//! the real daemon on the simulator serves it; the test logs in, sends a
//! message, sees it become "sent", has the simulator deliver a reply and
//! sees it in the inbox view. A screenshot goes to the test's temporary
//! directory.
//!
//! No browser is a failure, not a skip: `scripts/test` installs chromium
//! and chromium-driver. chromedriver runs in its own process group, and
//! that group (chromedriver and the browsers it started) is killed when
//! the test ends, also when it fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use modem_sim::sim::Injection;
use modem_sim::TextEncoding;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use crate::http_api::{Api, SENDER};
use crate::spool_bench::{wait_exit, wait_until};

/// WebDriver's key for an element reference (W3C).
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process and one browser session; both end on drop.
struct Browser {
    driver: Child,
    base: String,
    session: Option<String>,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Browser {
    fn start(profile: &Path) -> Browser {
        for program in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: install chromium and chromium-driver (scripts/test does, as root)"
            );
        }
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let log = profile.with_extension("chromedriver.log");
        let driver = {
            use std::os::unix::process::CommandExt as _;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own group, so teardown reaches the browsers it starts.
                .process_group(0)
                .spawn()
                .unwrap_or_else(|err| panic!("starting {CHROMEDRIVER}: {err}"))
        };
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: None,
            client: reqwest::Client::new(),
            runtime: crate::spool_bench::runtime(),
        };
        let ready = wait_until(Duration::from_secs(30), || {
            browser
                .request("GET", "/status", None)
                .is_ok_and(|status| status["value"]["ready"] == true)
        });
        assert!(ready, "chromedriver did not get ready on port {port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                // No sandbox: CI runs as root in a container, where
                // chromium's sandbox cannot start.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1200,1400", "--disable-crash-reporter", format!("--user-data-dir={}", profile.display())],
            },
        }}});
        let session = browser
            .request("POST", "/session", Some(capabilities))
            .unwrap_or_else(|err| panic!("a chromium session: {err}"));
        browser.session = Some(
            session["value"]["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session id in {session}"))
                .to_owned(),
        );
        browser
    }

    /// One WebDriver command; an error answer (`value.error`) is an Err.
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|err| err.to_string())?;
            let answer: Value = response.json().await.map_err(|err| err.to_string())?;
            match answer["value"]["error"].as_str() {
                Some(error) => Err(format!("{error}: {}", answer["value"]["message"])),
                None => Ok(answer),
            }
        })
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session.as_deref().unwrap())
    }

    fn command(&self, method: &str, rest: &str, body: Value) -> Value {
        let path = self.session_path(rest);
        let body = (!body.is_null()).then_some(body);
        self.request(method, &path, body)
            .unwrap_or_else(|err| panic!("{method} {rest}: {err}"))["value"]
            .take()
    }

    fn open(&self, url: &str) {
        self.command("POST", "/url", json!({"url": url}));
    }

    fn element(&self, css: &str) -> String {
        let found = self.command("POST", "/element", json!({"using": "css selector", "value": css}));
        found[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({"text": text}),
        );
    }

    fn clear(&self, css: &str) {
        let element = self.element(css);
        self.command("POST", &format!("/element/{element}/clear"), json!({}));
    }

    fn click(&self, css: &str) {
        let element = self.element(css);
        self.command("POST", &format!("/element/{element}/click"), json!({}));
    }

    /// Runs `script` in the page; its `return` value.
    fn eval(&self, script: &str, args: Value) -> Value {
        self.command("POST", "/execute/sync", json!({"script": script, "args": args}))
    }

    /// The text of the first element `css` selects, or null.
    fn text_of(&self, css: &str) -> Value {
        self.eval(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        )
    }

    /// Waits until `check` on the page answers true (60 s at most).
    fn wait(&self, what: &str, mut check: impl FnMut(&Browser) -> bool) {
        let done = wait_until(Duration::from_secs(60), || check(self));
        if !done {
            let body = self.text_of("body");
            panic!("the console never showed {what}; the page says:\n{body}");
        }
    }

    fn screenshot(&self, path: &Path) {
        let png = self.command("GET", "/screenshot", Value::Null);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(path, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            let _ = self.request("DELETE", &format!("/session/{session}"), None);
        }
        // chromedriver, and every browser process left in its group.
        let group = Pid::from_raw(self.driver.id() as i32);
        let _ = killpg(group, Signal::SIGKILL);
        wait_exit(&mut self.driver);
    }
}

#[test]
fn the_console_logs_in_sends_and_shows_the_reply_in_the_inbox() {
    // Modem 0 sends, modem 1 receives (Api::start).
    let api = Api::start(2, "");
    let profile: PathBuf = api.bench.dir.path().join("chromium-profile");
    let browser = Browser::start(&profile);

    browser.open(&format!("{}/", api.base));
    browser.wait("the login form", |b| b.text_of("#login").is_string());
    // A wrong token is refused, and the form stays.
    browser.type_into("#token", "not-a-token");
    browser.click("#login");
    browser.wait("the refusal", |b| {
        b.text_of("#login-error")
            .as_str()
            .is_some_and(|text| text.contains("not valid"))
    });
    browser.clear("#token");
    browser.type_into("#token", SENDER);
    browser.click("#login");
    browser.wait("the live events stream", |b| b.text_of("#live") == "live");

    // The part count as the text is typed, planned by the daemon.
    let customer = "+4915112345678";
    browser.type_into("#to", customer);
    browser.type_into("#text", "Your order has shipped €");
    browser.wait("a one-part GSM 7-bit plan", |b| {
        b.text_of("#plan")
            .as_str()
            .is_some_and(|text| text.starts_with("gsm7 · 1 part · 135 left"))
    });
    browser.type_into("#text", " Привет");
    browser.wait("the switch to UCS2", |b| {
        b.text_of("#plan")
            .as_str()
            .is_some_and(|text| text.starts_with("ucs2 · 1 part"))
    });
    browser.click("#send");
    browser.wait("the accepted id", |b| {
        b.text_of("#send-result")
            .as_str()
            .is_some_and(|text| text.starts_with("accepted: "))
    });
    let id = browser.text_of("#send-result").as_str().unwrap()["accepted: ".len()..].to_owned();
    let state = format!("#outgoing tr[data-id=\"{id}\"] .state");
    browser.wait("the message sent", |b| b.text_of(&state) == "sent");
    let parts = browser.text_of(&format!("#outgoing tr[data-id=\"{id}\"] .parts"));
    assert!(
        parts.as_str().is_some_and(|text| text.starts_with("#1 ref ")),
        "{parts}"
    );
    assert_eq!(api.bench.submitted_texts(0), ["Your order has shipped € Привет"]);

    // The customer answers; the simulator delivers it to modem 1.
    api.bench.inject(
        1,
        Injection::Text {
            from: customer.to_owned(),
            text: "Thanks, received!".to_owned(),
            encoding: TextEncoding::Auto,
            class0: false,
            parts_order: None,
        },
    );
    browser.wait("the reply in the inbox", |b| {
        b.eval(
            "return [...document.querySelectorAll('#inbox tbody tr')].some(r => \
             r.querySelector('.text').textContent === arguments[0] && \
             r.querySelector('.from').textContent.endsWith(arguments[1]));",
            json!(["Thanks, received!", "4915112345678"]),
        ) == true
    });
    // The events list saw both.
    let events = browser.text_of("#events").as_str().unwrap_or("").to_owned();
    assert!(
        events.contains(" sent ") && events.contains(" received "),
        "{events}"
    );

    let screenshot = api.bench.dir.path().join("console.png");
    browser.screenshot(&screenshot);
    eprintln!("screenshot: {}", screenshot.display());
    // To look at it after the temporary directory is gone.
    if let Some(keep) = std::env::var_os("SMSGATE_KEEP_SCREENSHOT") {
        std::fs::copy(&screenshot, keep).unwrap();
    }
}
