//! A pool of logged-in sessions with the key found in each: a session does one operation at a
//! time (PKCS#11 §5.6), so requests take a session from the pool, and the pool's size is how many
//! operations the token runs at once. Operations run on tokio's blocking threads.

use crate::{context, Pin, Pkcs11Error};
use cryptoki::context::Pkcs11;
use cryptoki::error::{Error, RvError};
use cryptoki::object::{Attribute, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// A session and the private key's handle in it.
pub(crate) struct Pooled {
    pub(crate) session: Session,
    pub(crate) key: ObjectHandle,
}

/// Where sessions come from.
pub(crate) struct Opener {
    ctx: Pkcs11,
    slot: Slot,
    pin: Pin,
    key_label: String,
}

impl Opener {
    pub(crate) fn new(config: &crate::Pkcs11Config, pin: &Pin) -> Result<Self, Pkcs11Error> {
        let ctx = context::context(&config.module)?;
        let slot = context::slot_of(&ctx, &config.token_label)?;
        Ok(Opener {
            ctx,
            slot,
            pin: pin.clone(),
            key_label: config.key_label.clone(),
        })
    }

    /// A logged-in session (read-write when `rw`).
    pub(crate) fn session(&self, rw: bool) -> Result<Session, Pkcs11Error> {
        let session = match rw {
            true => self.ctx.open_rw_session(self.slot),
            false => self.ctx.open_ro_session(self.slot),
        }
        .map_err(|e| Pkcs11Error::token("C_OpenSession", e))?;
        match session.login(UserType::User, Some(&self.pin.auth())) {
            Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
            Err(e) => Err(Pkcs11Error::Login(e.to_string())),
        }
    }

    /// The one object of `class` labelled with the key label.
    pub(crate) fn find(
        &self,
        session: &Session,
        class: ObjectClass,
    ) -> Result<ObjectHandle, Pkcs11Error> {
        let what = match class {
            ObjectClass::PUBLIC_KEY => "public key",
            _ => "private key",
        };
        let template = [
            Attribute::Class(class),
            Attribute::Label(self.key_label.as_bytes().to_vec()),
        ];
        let found = session
            .find_objects(&template)
            .map_err(|e| Pkcs11Error::token("C_FindObjects", e))?;
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Pkcs11Error::KeyNotFound {
                what,
                label: self.key_label.clone(),
            }),
            many => Err(Pkcs11Error::KeyAmbiguous {
                what,
                label: self.key_label.clone(),
                count: many.len(),
            }),
        }
    }

    fn pooled(&self) -> Result<Pooled, Pkcs11Error> {
        let session = self.session(false)?;
        let key = self.find(&session, ObjectClass::PRIVATE_KEY)?;
        Ok(Pooled { session, key })
    }
}

/// The pool.
pub(crate) struct SessionPool {
    opener: Arc<Opener>,
    idle: Arc<Mutex<Vec<Pooled>>>,
    permits: Semaphore,
}

impl SessionPool {
    /// A pool of up to `size` sessions, one opened now (to fail early).
    pub(crate) fn new(opener: Opener, size: usize) -> Result<Self, Pkcs11Error> {
        let first = opener.pooled()?;
        Ok(SessionPool {
            opener: Arc::new(opener),
            idle: Arc::new(Mutex::new(vec![first])),
            permits: Semaphore::new(size.max(1)),
        })
    }

    pub(crate) fn opener(&self) -> &Opener {
        &self.opener
    }

    /// Runs `op` on a pooled session, on a blocking thread when a tokio runtime is there. A
    /// session whose handle died (the token was removed, the library reset) is dropped, and the
    /// next request opens a new one.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Pooled) -> Result<T, Error> + Send + 'static,
        operation: &'static str,
    ) -> Result<T, Pkcs11Error> {
        let _permit =
            (self.permits.acquire().await).map_err(|e| Pkcs11Error::token(operation, e))?;
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let opener = self.opener.clone();
        let idle = self.idle.clone();
        let work = move || -> Result<T, Pkcs11Error> {
            let pooled = match taken {
                Some(p) => p,
                None => opener.pooled()?,
            };
            let result = op(&pooled);
            let broken = matches!(
                result,
                Err(Error::Pkcs11(
                    RvError::SessionHandleInvalid
                        | RvError::SessionClosed
                        | RvError::DeviceRemoved
                        | RvError::TokenNotPresent
                        | RvError::UserNotLoggedIn
                        | RvError::ObjectHandleInvalid
                        | RvError::KeyHandleInvalid,
                    _
                ))
            );
            if !broken {
                if let Ok(mut idle) = idle.lock() {
                    idle.push(pooled);
                }
            }
            result.map_err(|e| Pkcs11Error::token(operation, e))
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle
                .spawn_blocking(work)
                .await
                .map_err(|e| Pkcs11Error::token(operation, e))?,
            Err(_) => work(),
        }
    }
}
