//! The payment journal: what a till needs to learn, after a crash or a
//! power cut, which payments may have moved money without the till hearing
//! of it.
//!
//! One SQLite file (`Config::set_journal`), shared by every client and
//! process of the till. Before the first byte of a money-moving request goes
//! out, gw records the intent — the operation, `order.id`,
//! `transaction.id`, amount, currency, merchant and time, **never card data
//! and never credentials** — and commits it durably (WAL,
//! `synchronous=FULL`: the commit returns after the write-ahead log is on
//! the disk). When the call learns a final outcome, gw records it. An intent
//! with no outcome is *open*: recovery ([`crate::Client::recover_journal`])
//! resolves it with RETRIEVE_TRANSACTION.
//!
//! What gw guarantees, and what it cannot, is in docs/payments.md ("The
//! journal").
//!
//! Liveness: an open intent may belong to a call still running in another
//! thread or process. Recovery leaves it alone unless its owner is gone: a
//! call never outlives its deadline (recorded with the intent), an earlier
//! process with this process's id is gone, and on Unix a process id that no
//! longer exists is gone.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags};

use crate::error::{Error, Kind, Result};
use crate::request::Request;
use crate::transport::forks;

/// How long a statement waits at most for another client or process that
/// holds the journal's write lock. A payment's own writes wait no longer
/// than its call's deadline leaves ([`Journal::record_intent`],
/// [`Journal::close`]): a call never runs past its deadline, not even here.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema; `user_version` says which one a file holds.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS intent (
    merchant       TEXT    NOT NULL,
    order_id       TEXT    NOT NULL,
    transaction_id TEXT    NOT NULL,
    operation      TEXT    NOT NULL,
    amount         TEXT,
    currency       TEXT,
    recorded_ms    INTEGER NOT NULL,
    deadline_ms    INTEGER NOT NULL,
    pid            INTEGER NOT NULL,
    instance       INTEGER NOT NULL,
    outcome        TEXT,
    gateway_code   TEXT,
    settled_ms     INTEGER,
    PRIMARY KEY (merchant, order_id, transaction_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS open_intent ON intent (merchant) WHERE outcome IS NULL;
PRAGMA user_version = 1;
";

/// How an intent was closed (the `outcome` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// A final approval.
    Approved,
    /// A final decline.
    Declined,
    /// The gateway never processed the request: nothing was sent, the
    /// gateway refused it with an error answer, or RETRIEVE_TRANSACTION
    /// does not know the ids.
    NotProcessed,
}

impl Closed {
    fn as_str(self) -> &'static str {
        match self {
            Closed::Approved => "APPROVED",
            Closed::Declined => "DECLINED",
            Closed::NotProcessed => "NOT_PROCESSED",
        }
    }
}

/// An open intent, as recovery reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    /// The operation's name (`PAY`, `AUTHORIZE`, ...).
    pub operation: String,
    /// `order.id`.
    pub order_id: String,
    /// `transaction.id`.
    pub transaction_id: String,
    /// `order.amount` or `transaction.amount`; `None` for a VOID.
    pub amount: Option<String>,
    /// `order.currency` or `transaction.currency`; `None` for a VOID.
    pub currency: Option<String>,
    /// When the intent was recorded, in milliseconds since 1970 (UTC).
    pub recorded_ms: u64,
    deadline_ms: u64,
    pid: u32,
    instance: u64,
}

/// A journal file, opened by a client. `Send + Sync`: the one connection is
/// behind a mutex, held only for a write or a read.
pub struct Journal {
    path: PathBuf,
    /// The connection, and the fork count ([`forks`]) of the process that
    /// opened it.
    connection: Mutex<(u64, Connection)>,
}

/// This process's journal identity: its id and a random number drawn once,
/// which tells an earlier process with the same id (a restarted till, a
/// container's pid 1) from this one.
fn instance() -> u64 {
    static INSTANCE: OnceLock<u64> = OnceLock::new();
    *INSTANCE.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos());
        // SQLite integers are signed 64-bit: keep to 63 bits.
        hasher.finish() >> 1
    })
}

fn now_ms() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()).unwrap_or(u64::MAX)
}

/// Milliseconds as SQLite stores them (a signed 64-bit integer).
fn sql_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn journal_error(what: &str, err: rusqlite::Error) -> Error {
    // SQLite's messages name the file's state, never a value bound to a
    // statement: no card data or credentials can reach them (none are bound).
    Error::new(Kind::Journal, format!("the payment journal {what}: {err}"))
}

/// Whether the process `pid` is gone (Unix: `kill(pid, 0)` finds none).
/// Elsewhere, unknown: `false`, and the intent's deadline decides.
fn process_gone(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        // SAFETY: signal 0 sends nothing; it only checks that the process exists.
        let found = unsafe { libc::kill(pid, 0) } == 0;
        !found && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        false
    }
}

impl Journal {
    /// Opens (creating if need be) the journal at `path`: WAL,
    /// `synchronous=FULL`, a busy timeout for the other clients and
    /// processes that share it.
    pub fn open(path: &Path) -> Result<Journal> {
        let connection = Journal::connect(path)?;
        Ok(Journal { path: path.to_path_buf(), connection: Mutex::new((forks(), connection)) })
    }

    fn connect(path: &Path) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_FULL_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let shown = path.display();
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|err| journal_error(&format!("{shown} cannot be opened"), err))?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(|err| journal_error("busy timeout", err))?;
        // WAL: writers append, readers are not blocked; FULL: every commit
        // is synced to the disk before it returns (the intent is durable
        // before the request goes out). secure_delete: a closed intent's
        // old bytes are overwritten, not left in free pages.
        let mode: String = connection
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(|err| journal_error(&format!("{shown}: WAL mode"), err))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::new(Kind::Journal, format!("the payment journal {shown} cannot use WAL (mode {mode})")));
        }
        connection
            .execute_batch("PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;")
            .map_err(|err| journal_error("settings", err))?;
        connection.execute_batch(SCHEMA).map_err(|err| journal_error(&format!("{shown}: schema"), err))?;
        Ok(connection)
    }

    /// Runs `f` on this process's connection, waiting at most `wait` (and
    /// never more than [`BUSY_TIMEOUT`]) for another writer's lock.
    fn with<T>(&self, wait: Duration, f: impl FnOnce(&Connection) -> rusqlite::Result<T>, what: &str) -> Result<T> {
        // A panic while holding the lock leaves the connection usable:
        // every statement is one transaction of its own.
        let mut guard = self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.0 != forks() {
            // A forked child: SQLite forbids using a connection across
            // fork() (its POSIX locks belong to the parent). The child opens
            // its own and never touches, nor closes, the parent's.
            let fresh = Journal::connect(&self.path)?;
            std::mem::forget(std::mem::replace(&mut guard.1, fresh));
            guard.0 = forks();
        }
        // sqlite3_busy_timeout: no system call, set per statement because
        // each call has its own deadline (0 fails at once when locked).
        guard.1.busy_timeout(wait.min(BUSY_TIMEOUT)).map_err(|err| journal_error("busy timeout", err))?;
        f(&guard.1).map_err(|err| journal_error(what, err))
    }

    /// Records the intent of `request` for `merchant`, open until
    /// `deadline` from now at the latest (the call's time left, which also
    /// bounds the wait for another writer's lock), durably. A request with the same ids
    /// (an identical resubmission by the till, the retry of a payment the
    /// gateway never saw) reopens its intent.
    pub fn record_intent(&self, merchant: &str, request: &Request, deadline: Duration) -> Result<()> {
        let get = |name: &str| request.get(name);
        let amount = get("order.amount").or_else(|| get("transaction.amount"));
        let currency = get("order.currency").or_else(|| get("transaction.currency"));
        let now = now_ms();
        let deadline_ms = now.saturating_add(u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX));
        self.with(
            deadline,
            |c| {
                c.prepare_cached(
                    "INSERT INTO intent (merchant, order_id, transaction_id, operation, amount, currency, \
                     recorded_ms, deadline_ms, pid, instance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                     ON CONFLICT (merchant, order_id, transaction_id) DO UPDATE SET operation = ?4, amount = ?5, \
                     currency = ?6, recorded_ms = ?7, deadline_ms = ?8, pid = ?9, instance = ?10, \
                     outcome = NULL, gateway_code = NULL, settled_ms = NULL",
                )?
                .execute(params![
                    merchant,
                    get("order.id").unwrap_or_default(),
                    get("transaction.id").unwrap_or_default(),
                    request.operation().name(),
                    amount,
                    currency,
                    sql_ms(now),
                    sql_ms(deadline_ms),
                    std::process::id(),
                    instance() as i64,
                ])
            },
            "could not record the payment's intent; nothing was sent",
        )?;
        Ok(())
    }

    /// Closes the open intent of these ids with its final outcome, waiting
    /// at most `wait` for another writer's lock (a close that fails leaves
    /// the intent open: recovery resolves it the same way). An intent
    /// already closed keeps its outcome.
    pub fn close(
        &self,
        merchant: &str,
        order_id: &str,
        transaction_id: &str,
        outcome: Closed,
        code: Option<&str>,
        wait: Duration,
    ) -> Result<()> {
        self.with(
            wait,
            |c| {
                c.prepare_cached(
                    "UPDATE intent SET outcome = ?4, gateway_code = ?5, settled_ms = ?6 \
                     WHERE merchant = ?1 AND order_id = ?2 AND transaction_id = ?3 AND outcome IS NULL",
                )?
                .execute(params![
                    merchant,
                    order_id,
                    transaction_id,
                    outcome.as_str(),
                    code,
                    sql_ms(now_ms())
                ])
            },
            "could not record the payment's outcome",
        )
        .map(drop)
    }

    /// The open intents of `merchant` whose owner is gone, oldest first, and
    /// how many open ones may still belong to a running call.
    pub fn orphans(&self, merchant: &str) -> Result<(Vec<Intent>, u32)> {
        let open = self.with(
            BUSY_TIMEOUT,
            |c| {
                let mut statement = c.prepare_cached(
                    "SELECT operation, order_id, transaction_id, amount, currency, recorded_ms, deadline_ms, pid, \
                     instance FROM intent WHERE merchant = ?1 AND outcome IS NULL ORDER BY recorded_ms",
                )?;
                let rows = statement.query_map([merchant], |row| {
                    Ok(Intent {
                        operation: row.get(0)?,
                        order_id: row.get(1)?,
                        transaction_id: row.get(2)?,
                        amount: row.get(3)?,
                        currency: row.get(4)?,
                        recorded_ms: row.get::<_, i64>(5)?.max(0) as u64,
                        deadline_ms: row.get::<_, i64>(6)?.max(0) as u64,
                        pid: row.get(7)?,
                        instance: row.get::<_, i64>(8)? as u64,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            },
            "could not be read",
        )?;
        let now = now_ms();
        let (orphans, running): (Vec<Intent>, Vec<Intent>) = open.into_iter().partition(|intent| {
            let earlier_self = intent.pid == std::process::id() && intent.instance != instance();
            let elsewhere_gone = intent.pid != std::process::id() && process_gone(intent.pid);
            intent.deadline_ms < now || earlier_self || elsewhere_gone
        });
        Ok((orphans, u32::try_from(running.len()).unwrap_or(u32::MAX)))
    }

    /// The outcome recorded for these ids: `None` while open (or unknown).
    #[cfg(test)]
    pub fn outcome(&self, merchant: &str, order_id: &str, transaction_id: &str) -> Result<Option<String>> {
        self.with(
            BUSY_TIMEOUT,
            |c| {
                c.query_row(
                    "SELECT outcome FROM intent WHERE merchant = ?1 AND order_id = ?2 AND transaction_id = ?3",
                    [merchant, order_id, transaction_id],
                    |row| row.get::<_, Option<String>>(0),
                )
                .map_or_else(
                    |err| match err {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        err => Err(err),
                    },
                    Ok,
                )
            },
            "could not be read",
        )
    }
}

#[cfg(all(test, not(miri)))]
mod tests {
    use super::*;
    use crate::rules::Operation;

    fn pay(order: &str, transaction: &str) -> Request {
        let mut request = Request::new(Operation::Pay);
        for (name, value) in
            [("order.id", order), ("transaction.id", transaction), ("order.amount", "12.50"), ("order.currency", "AUD")]
        {
            request.set(name, value).unwrap();
        }
        request
    }

    #[test]
    fn an_intent_is_open_until_closed_and_orphaned_after_its_deadline() {
        let dir = std::env::temp_dir().join(format!("gw-journal-unit-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("j.db");
        let _ = std::fs::remove_file(&path);
        let journal = Journal::open(&path).unwrap();
        journal.record_intent("M1", &pay("O1", "T1"), Duration::from_secs(60)).unwrap();
        journal.record_intent("M1", &pay("O2", "T1"), Duration::ZERO).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let (orphans, running) = journal.orphans("M1").unwrap();
        assert_eq!(running, 1, "O1 is this process's, within its deadline");
        assert_eq!(orphans.len(), 1);
        assert_eq!(
            (orphans[0].order_id.as_str(), orphans[0].amount.as_deref(), orphans[0].currency.as_deref()),
            ("O2", Some("12.50"), Some("AUD"))
        );
        assert_eq!(journal.orphans("M2").unwrap(), (vec![], 0), "another merchant's");
        journal.close("M1", "O2", "T1", Closed::Declined, Some("DECLINED"), BUSY_TIMEOUT).unwrap();
        journal.close("M1", "O2", "T1", Closed::Approved, None, BUSY_TIMEOUT).unwrap();
        assert_eq!(journal.outcome("M1", "O2", "T1").unwrap().as_deref(), Some("DECLINED"), "closed once");
        assert_eq!(journal.outcome("M1", "O1", "T1").unwrap(), None);
        // An earlier process with this process's id (a restarted till): its
        // intent is an orphan, whatever its deadline.
        journal
            .with(
                BUSY_TIMEOUT,
                |c| c.execute("UPDATE intent SET instance = instance + 1 WHERE order_id = 'O1'", []),
                "test",
            )
            .unwrap();
        let (orphans, running) = journal.orphans("M1").unwrap();
        assert_eq!((orphans.len(), running), (1, 0), "{orphans:?}");
        assert_eq!(orphans[0].order_id, "O1");
        // The same ids again reopen the intent.
        journal.record_intent("M1", &pay("O2", "T1"), Duration::ZERO).unwrap();
        assert_eq!(journal.outcome("M1", "O2", "T1").unwrap(), None);
        drop(journal);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
