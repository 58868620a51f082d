//! One initialised PKCS#11 context per module and process: `C_Initialize` may run once, and a
//! second context's `C_Finalize` would pull the library from under the first.

use crate::Pkcs11Error;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::slot::Slot;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

fn contexts() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    CONTEXTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The process's context for `module`, loaded and initialised on first use.
pub(crate) fn context(module: &Path) -> Result<Pkcs11, Pkcs11Error> {
    let failed = |reason: String| Pkcs11Error::Module {
        module: module.display().to_string(),
        reason,
    };
    let mut map = contexts()
        .lock()
        .map_err(|_| failed("the context registry is poisoned".into()))?;
    if let Some(ctx) = map.get(module) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(module).map_err(|e| failed(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(e.to_string())),
    }
    map.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// The slot holding the token labelled `label`.
pub(crate) fn slot_of(ctx: &Pkcs11, label: &str) -> Result<Slot, Pkcs11Error> {
    let slots = ctx
        .get_slots_with_initialized_token()
        .map_err(|e| Pkcs11Error::token("C_GetSlotList", e))?;
    for slot in slots {
        let info = ctx
            .get_token_info(slot)
            .map_err(|e| Pkcs11Error::token("C_GetTokenInfo", e))?;
        if info.label().trim_end() == label {
            return Ok(slot);
        }
    }
    Err(Pkcs11Error::TokenNotFound(label.to_owned()))
}
