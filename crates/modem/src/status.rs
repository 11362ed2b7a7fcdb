//! What `smsgate status` shows: registration, operator, signal, the
//! identities of modem and SIM, the service centre, and how full the
//! storage is. Each value is read with its own command; a value the modem
//! cannot give is left out and the reason listed, so that one odd command
//! does not hide the rest.

use at::parse::{self, MemoryUsage, ParseError, Registration, ServiceCentre, SignalQuality};

use crate::actor::Actor;
use crate::error::ModemError;

/// Who the modem and its SIM are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// `AT+CGSN`.
    pub imei: Option<String>,
    /// `AT+CIMI`.
    pub imsi: Option<String>,
    /// `AT+CCID`.
    pub iccid: Option<String>,
    /// `AT+CSCA?`: the service centre messages go through.
    pub smsc: Option<ServiceCentre>,
}

/// The state of a modem, as far as it would tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModemStatus {
    /// `AT+CREG?`.
    pub registration: Option<Registration>,
    /// `AT+COPS?` in long alphanumeric form.
    pub operator: Option<String>,
    /// `AT+CSQ`.
    pub signal: Option<SignalQuality>,
    /// The identities and the service centre.
    pub identity: Identity,
    /// `AT+CPMS?`: the memory messages are read from, used and total.
    pub storage: Option<MemoryUsage>,
    /// What could not be read, and why (`AT+COPS?: +CME ERROR: 30 ...`).
    pub problems: Vec<String>,
}

type Parser<T> = fn(&[String]) -> Result<T, ParseError>;

impl Actor {
    /// Reads the status; fails only if the port goes away.
    pub(crate) async fn status(&mut self) -> Result<ModemStatus, ModemError> {
        let mut problems = Vec::new();
        let registration = self
            .optional("AT+CREG?", parse::creg as Parser<_>, &mut problems)
            .await?;
        // Long alphanumeric names; set on each call, since another program
        // may have switched the format since.
        let operator = match self.simple("AT+COPS=3,0").await {
            Err(err @ ModemError::PortLost { .. }) => return Err(err),
            Err(err) => {
                problems.push(err.to_string());
                None
            }
            Ok(_) => self
                .optional("AT+COPS?", parse::cops as Parser<parse::Operator>, &mut problems)
                .await?
                .and_then(|operator| operator.name),
        };
        let signal = self
            .optional("AT+CSQ", parse::csq as Parser<_>, &mut problems)
            .await?;
        let storage = self
            .optional(
                "AT+CPMS?",
                parse::cpms as Parser<parse::StorageStatus>,
                &mut problems,
            )
            .await?
            .map(|storage| storage.read);
        let identity = self.identity_into(&mut problems).await?;
        Ok(ModemStatus {
            registration,
            operator,
            signal,
            identity,
            storage,
            problems,
        })
    }

    /// Reads the identities and the service centre; what the modem does not
    /// give is `None`. Fails only if the port goes away.
    pub(crate) async fn identity(&mut self) -> Result<Identity, ModemError> {
        let mut problems = Vec::new();
        let identity = self.identity_into(&mut problems).await?;
        for problem in problems {
            tracing::debug!(target: "modem", "{}: {problem}", self.port);
        }
        Ok(identity)
    }

    async fn identity_into(&mut self, problems: &mut Vec<String>) -> Result<Identity, ModemError> {
        Ok(Identity {
            imei: self
                .optional("AT+CGSN", parse::cgsn as Parser<_>, problems)
                .await?,
            imsi: self
                .optional("AT+CIMI", parse::cimi as Parser<_>, problems)
                .await?,
            iccid: self
                .optional("AT+CCID", parse::ccid as Parser<_>, problems)
                .await?,
            smsc: self
                .optional("AT+CSCA?", parse::csca as Parser<_>, problems)
                .await?,
        })
    }

    /// Runs `command` and reads its answer with `parser`; a failure other
    /// than a lost port goes to `problems` and gives `None`.
    async fn optional<T>(
        &mut self,
        command: &str,
        parser: Parser<T>,
        problems: &mut Vec<String>,
    ) -> Result<Option<T>, ModemError> {
        let lines = match self.simple(command).await {
            Ok(lines) => lines,
            Err(err @ ModemError::PortLost { .. }) => return Err(err),
            Err(err) => {
                problems.push(err.to_string());
                return Ok(None);
            }
        };
        match self.parsed(command, parser(&lines)) {
            Ok(value) => Ok(Some(value)),
            Err(err) => {
                problems.push(err.to_string());
                Ok(None)
            }
        }
    }
}
