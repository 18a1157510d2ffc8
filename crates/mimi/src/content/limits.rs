//! The limits of CONTENT §6.3 and §9.1 ("log and discard").
//!
//! [`validate`] holds every check that needs no clock; [`check_expiry`] the ones that do.
//! Decoding runs `validate`, and senders should too before they encode.

use super::MimiContent;
use super::error::ContentError;
use super::extension;
use super::part::{NestedPart, Part};

/// The longest topicId, in bytes (CONTENT §9.1).
pub const MAX_TOPIC_ID_LEN: usize = 4096;
/// The deepest NestedPart nesting; the body is level 1 (CONTENT §6.3).
pub const MAX_PART_DEPTH: usize = 4;
/// The most NestedParts in one body, every container counted, like `partIndex` (CONTENT §9.1).
pub const MAX_PARTS: usize = 1024;
/// How far from now an expiry may lie: a year of 365 days, in seconds (CONTENT §9.1).
pub const MAX_EXPIRY_DISTANCE_SECS: u64 = 365 * 24 * 60 * 60;

/// Every clock-free check of CONTENT §6 and §9.1 on already typed content.
pub(crate) fn validate(content: &MimiContent) -> Result<(), ContentError> {
    if content.topic_id.len() > MAX_TOPIC_ID_LEN {
        return Err(ContentError::TopicIdTooLong {
            len: content.topic_id.len(),
            limit: MAX_TOPIC_ID_LEN,
        });
    }
    for id in [&content.replaces, &content.in_reply_to]
        .into_iter()
        .flatten()
    {
        id.check_algorithm()?;
    }
    for (key, value) in &content.other_extensions {
        key.validate_other()?;
        extension::validate_value(value, 1)?;
    }
    let mut count = 0;
    validate_part(&content.body, 1, &mut count)
}

fn validate_part(part: &NestedPart, depth: usize, count: &mut usize) -> Result<(), ContentError> {
    if depth > MAX_PART_DEPTH {
        return Err(ContentError::PartsTooDeep {
            limit: MAX_PART_DEPTH,
        });
    }
    *count += 1;
    if *count > MAX_PARTS {
        return Err(ContentError::TooManyParts { limit: MAX_PARTS });
    }
    if let Part::Multi { parts, .. } = &part.part {
        if parts.len() < 2 {
            return Err(ContentError::TooFewParts { count: parts.len() });
        }
        for p in parts {
            validate_part(p, depth + 1, count)?;
        }
    }
    Ok(())
}

/// CONTENT §9.1: an absolute expiry more than a year in the past, or any expiry more than a year
/// in the future, marks a message to discard.
pub(crate) fn check_expiry(content: &MimiContent, now_unix_secs: u64) -> Result<(), ContentError> {
    let Some(expires) = content.expires else {
        return Ok(());
    };
    let time = u64::from(expires.time);
    let seconds_ahead = if expires.relative {
        time
    } else {
        if time.saturating_add(MAX_EXPIRY_DISTANCE_SECS) < now_unix_secs {
            return Err(ContentError::ExpiryTooFarInPast {
                expires: time,
                now: now_unix_secs,
            });
        }
        time.saturating_sub(now_unix_secs)
    };
    if seconds_ahead > MAX_EXPIRY_DISTANCE_SECS {
        return Err(ContentError::ExpiryTooFarInFuture { seconds_ahead });
    }
    Ok(())
}
