//! A long history read year by year: a clinician looks at the last visits first and opens
//! an older year only when it matters.

use super::model::Item;

/// The items of one year, in the order they came.
#[derive(Debug, Clone, PartialEq)]
pub struct YearGroup {
    /// "2019"; `None` for items without a date.
    pub year: Option<String>,
    pub items: Vec<Item>,
}

impl YearGroup {
    /// "2019", or words for the undated.
    pub fn heading(&self) -> String {
        self.year
            .clone()
            .unwrap_or_else(|| "Date not recorded".to_owned())
    }
}

/// Groups `items` by the year of their date, each year where its first item was (so a
/// newest-first list gives the newest year first); undated items come last.
pub fn by_year(items: Vec<Item>) -> Vec<YearGroup> {
    let mut groups: Vec<YearGroup> = Vec::new();
    let mut undated = Vec::new();
    for item in items {
        let Some(year) = item.date.as_ref().and_then(|d| year_of(d.day())) else {
            undated.push(item);
            continue;
        };
        match groups.iter_mut().find(|g| g.year.as_deref() == Some(year)) {
            Some(group) => group.items.push(item),
            None => groups.push(YearGroup {
                year: Some(year.to_owned()),
                items: vec![item],
            }),
        }
    }
    if !undated.is_empty() {
        groups.push(YearGroup {
            year: None,
            items: undated,
        });
    }
    groups
}

/// The four digits a FHIR date starts with, if it does.
fn year_of(day: &str) -> Option<&str> {
    day.get(..4)
        .filter(|year| year.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical_view::ClinicalDate;

    fn item(title: &str, date: Option<&str>) -> Item {
        Item {
            title: title.to_owned(),
            date: date.map(ClinicalDate::new),
            ..Item::default()
        }
    }

    #[test]
    fn newest_year_first_undated_last() {
        let groups = by_year(vec![
            item("check-up", Some("2021-05-02T10:00:00Z")),
            item("no date", None),
            item("flu", Some("2021-01-09")),
            item("fracture", Some("2019-11")),
            item("nonsense", Some("last spring")),
        ]);
        let shape: Vec<(String, Vec<&str>)> = groups
            .iter()
            .map(|g| {
                (
                    g.heading(),
                    g.items.iter().map(|i| i.title.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("2021".to_owned(), vec!["check-up", "flu"]),
                ("2019".to_owned(), vec!["fracture"]),
                ("Date not recorded".to_owned(), vec!["no date", "nonsense"]),
            ]
        );
    }

    #[test]
    fn nothing_gives_no_groups() {
        assert!(by_year(Vec::new()).is_empty());
    }
}
