//! Dates as the user's browser writes them, in their own time zone and language.

use chrono::{DateTime, Utc};
use wasm_bindgen::JsValue;

/// "22 Nov 2026", or however the browser's locale spells it.
pub fn day(at: &DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let options = js_sys::Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    date.to_locale_date_string("default", &options).into()
}

/// "14:05", in the browser's locale.
pub fn time(at: &DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_time_string_with_options("default", &options)
        .into()
}

/// The browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// The last second of `day` in the browser's time zone: "until 31 December" means the end of
/// the patient's 31 December, wherever they are.
pub fn end_of_local_day(day: chrono::NaiveDate) -> DateTime<Utc> {
    use chrono::Datelike as _;
    let end = js_sys::Date::new_with_year_month_day_hr_min_sec(
        day.year() as u32,
        day.month0() as i32,
        day.day() as i32,
        23,
        59,
        59,
    );
    DateTime::from_timestamp_millis(end.get_time() as i64).unwrap_or_default()
}

/// "6 days 4 h", "3 h 12 min", "45 s": how long until `at`, coarsely, for a countdown.
pub fn remaining(at: &DateTime<Utc>, now: &DateTime<Utc>) -> Option<String> {
    let left = (*at - *now).num_seconds();
    if left <= 0 {
        return None;
    }
    let (days, hours, minutes) = (left / 86_400, left % 86_400 / 3600, left % 3600 / 60);
    Some(if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {minutes} min")
    } else if minutes > 0 {
        format!("{minutes} min {} s", left % 60)
    } else {
        format!("{left} s")
    })
}
