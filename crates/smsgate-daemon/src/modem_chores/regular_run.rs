//! smsd's regular_run for a modem (`[modems.NAME.regular-run]`), at its
//! interval, the first time at the start, in smsd 3.1.21's order:
//!
//! 1. `program PRE_RUN STATFILE` (the statfile still has the last run's
//!    answers), waited for;
//! 2. the statfile is removed;
//! 3. `post-run POST_RUN STATFILE`, waited for;
//! 4. each of `commands` is written to the modem, and its answer written
//!    to the statfile as smsd writes it, one line each:
//!    `2026-12-06 07:28:52,5, GSM1: CMD: AT+CSQ: +CSQ: 21,99 OK`. A
//!    `AT+CUSD=1,...` command also waits for the network's `+CUSD`, which
//!    smsd catches after the `OK`:
//!    `... CMD: AT+CUSD=1,"*100#",15: OK +CUSD: 0,"Balance 5.00",15`.
//!
//! The statfile is written whole once the commands are done (a reader
//! never sees half a run); a program that fails is logged, and the run
//! goes on, as in smsd.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use at::Urc;
use modem::ModemEvent;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ChoreContext;
use crate::daemon_config::modem_tasks::RegularRun;
use crate::hooks;
use crate::spool_dir;

/// How long a `+CUSD` answer is waited for after its command's `OK`.
const USSD_WAIT: Duration = Duration::from_secs(30);

pub(super) async fn run(
    context: ChoreContext,
    run: RegularRun,
    _tasks: TaskTracker,
    shutdown: CancellationToken,
) {
    let mut ticks = tokio::time::interval(run.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            () = once(&context, &run) => {}
        }
    }
}

/// One run.
async fn once(context: &ChoreContext, run: &RegularRun) {
    let modem = &context.modem;
    let statfile_arg = run
        .statfile
        .as_ref()
        .map_or_else(OsString::new, |path| path.as_os_str().to_owned());
    if let Some(program) = &run.program {
        let args = vec![OsString::from("PRE_RUN"), statfile_arg.clone()];
        let result = hooks::run(program.clone(), args, context.handler_timeout).await;
        // smsd's exec_system: a failing regular_run is an administrative
        // message (admin_messages.rs).
        if let Some(admin) = context.alarms.admin() {
            admin.handler_finished(Some(modem), "regular_run (modem)", result);
        }
    }
    if let Some(statfile) = &run.statfile {
        match std::fs::remove_file(statfile) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                tracing::warn!(target: "smsgate", "modem {modem}: removing {}: {err}", statfile.display())
            }
        }
    }
    if let Some(program) = &run.post_run {
        let args = vec![OsString::from("POST_RUN"), statfile_arg];
        let result = hooks::run(program.clone(), args, context.handler_timeout).await;
        if let Some(admin) = context.alarms.admin() {
            admin.handler_finished(Some(modem), "regular_run_post_run (modem)", result);
        }
    }
    let mut lines = String::new();
    for command in &run.commands {
        let answer = answer_of(context, command).await;
        let line = stat_line(&chrono::Local::now().naive_local(), modem, command, &answer);
        tracing::info!(target: "smsgate", "modem {modem}: regular run: {command}: {answer}");
        lines.push_str(&line);
    }
    if let (Some(statfile), false) = (&run.statfile, run.commands.is_empty()) {
        let written = statfile
            .parent()
            .zip(statfile.file_name().and_then(|name| name.to_str()))
            .ok_or_else(|| std::io::Error::other("not a file path"))
            .and_then(|(dir, name)| {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                spool_dir::write_durably(dir, name, lines.as_bytes(), context.file_mode)
            });
        if let Err(err) = written {
            tracing::error!(target: "smsgate", "modem {modem}: writing {}: {err}", statfile.display());
        }
    }
}

/// The modem's answer to `command` as smsd logs it: the lines and the
/// final result, joined by spaces; a USSD request's `+CUSD` after them.
async fn answer_of(context: &ChoreContext, command: &str) -> String {
    let ussd = command.to_ascii_uppercase().starts_with("AT+CUSD=1,");
    // Subscribed before the command: the answer may come right after OK.
    let mut events = ussd.then(|| context.handle.subscribe());
    let reply = match context.handle.at_chat(command, None).await {
        Ok(reply) => reply,
        Err(err) => return format!("ERROR ({err})"),
    };
    let mut words: Vec<String> = reply.lines.clone();
    words.push(reply.result.to_string());
    if let (Some(events), true) = (events.as_mut(), reply.result.is_success()) {
        let answer = tokio::time::timeout(USSD_WAIT, async {
            loop {
                match events.recv().await {
                    Ok(ModemEvent::Urc(Urc::Ussd(ussd))) => return Some(ussd),
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .await;
        if let Ok(Some(ussd)) = answer {
            words.push(cusd_line(&ussd));
        }
    }
    words.join(" ")
}

/// `+CUSD: <m>[,"<str>"[,<dcs>]]`, as the modem wrote it.
fn cusd_line(ussd: &at::parse::Ussd) -> String {
    let mut line = format!("+CUSD: {}", ussd.status.0);
    if let Some(raw) = &ussd.raw {
        line.push_str(&format!(",\"{raw}\""));
        if let Some(dcs) = ussd.dcs {
            line.push_str(&format!(",{dcs}"));
        }
    }
    line
}

/// One statfile line, as smsd's log writes it (severity 5, notice).
fn stat_line(at: &chrono::NaiveDateTime, modem: &str, command: &str, answer: &str) -> String {
    format!(
        "{},5, {modem}: CMD: {command}: {answer}\n",
        at.format("%Y-%m-%d %H:%M:%S")
    )
}

#[cfg(test)]
mod tests {
    use super::{cusd_line, stat_line};

    #[test]
    fn lines_are_written_as_smsd_writes_them() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 6)
            .and_then(|date| date.and_hms_opt(7, 28, 52))
            .unwrap();
        assert_eq!(
            stat_line(&at, "GSM1", "AT+CSQ", "+CSQ: 21,99 OK"),
            "2026-12-06 07:28:52,5, GSM1: CMD: AT+CSQ: +CSQ: 21,99 OK\n"
        );
        let ussd = at::parse::Ussd::parse_line("+CUSD: 0,\"Balance 5.00 EUR\",15").unwrap();
        assert_eq!(cusd_line(&ussd), "+CUSD: 0,\"Balance 5.00 EUR\",15");
    }
}
