//! The `linky` command line, run as a real process: output formats, exit codes and messages
//! that other tools rely on.

use std::process::{Command, Output};

fn linky(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linky"))
        .args(args)
        .output()
        .expect("linky runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn check_prints_each_instant_as_given_with_hc_or_hp() {
    let o = linky(&[
        "offpeak",
        "check",
        "--schedule",
        "22h30-6h30 fe 0h-24h",
        "2024-05-15T22:15",
        "2024-05-15T22:45",
        "2024-05-08T12:00",
        "2024-05-16T06:29",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "2024-05-15T22:15 HP\n2024-05-15T22:45 HC\n2024-05-08T12:00 HC\n2024-05-16T06:29 HC\n"
    );
}

#[test]
fn check_applies_the_meter_section_and_production_rules() {
    let schedule = "02h00-04h00 16h00-19h00 P 17h00-22h00 mercredi 11h00-16h00 12345678901234 88888888888888 13h00-16h00";
    let run = |extra: &[&str]| {
        let mut args = vec!["offpeak", "check", "--schedule", schedule];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "2024-05-15T03:30",
            "2024-05-15T12:30",
            "2024-05-15T14:30",
            "2024-05-16T18:30",
        ]);
        stdout(&linky(&args))
    };
    assert_eq!(
        run(&[]),
        "2024-05-15T03:30 HC\n2024-05-15T12:30 HP\n2024-05-15T14:30 HP\n2024-05-16T18:30 HC\n"
    );
    assert_eq!(
        run(&["--production"]),
        "2024-05-15T03:30 HP\n2024-05-15T12:30 HC\n2024-05-15T14:30 HC\n2024-05-16T18:30 HC\n"
    );
    assert_eq!(
        run(&["--pdl", "12345678901234"]),
        "2024-05-15T03:30 HP\n2024-05-15T12:30 HP\n2024-05-15T14:30 HP\n2024-05-16T18:30 HP\n"
    );
    assert_eq!(
        run(&["--pdl", "88888888888888"]),
        "2024-05-15T03:30 HP\n2024-05-15T12:30 HP\n2024-05-15T14:30 HC\n2024-05-16T18:30 HP\n"
    );
}

#[test]
fn bad_input_exits_2_with_a_message_in_both_languages() {
    for (args, en, fr) in [
        (
            vec![
                "offpeak",
                "check",
                "--schedule",
                "weekend 8h-9h 123",
                "2024-05-15T03:30",
            ],
            "position 15",
            "14 chiffres",
        ),
        (
            vec![
                "offpeak",
                "check",
                "--schedule",
                "8h-9h",
                "--pdl",
                "1234",
                "2024-05-15T03:30",
            ],
            "14 digits",
            "14 chiffres",
        ),
        (
            vec![
                "offpeak",
                "check",
                "--schedule",
                "8h-9h",
                "2024-05-15 03:30",
            ],
            "YYYY-MM-DDTHH:MM",
            "AAAA-MM-JJTHH:MM",
        ),
        (
            vec![
                "offpeak",
                "check",
                "--schedule",
                "8h-9h",
                "2024-02-30T03:30",
            ],
            "YYYY-MM-DDTHH:MM",
            "AAAA-MM-JJTHH:MM",
        ),
        (
            vec!["offpeak", "check", "--schedule", "8h-9h", "2024-05-15T3:30"],
            "YYYY-MM-DDTHH:MM",
            "AAAA-MM-JJTHH:MM",
        ),
        (
            vec![
                "offpeak",
                "show",
                "--schedule",
                "8h-9h",
                "--from",
                "15/05/2024",
            ],
            "YYYY-MM-DD",
            "AAAA-MM-JJ",
        ),
    ] {
        let o = linky(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stdout(&o).is_empty(), "{args:?}");
        let err = stderr(&o);
        assert!(
            err.contains("linky: error:") && err.contains(en),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("linky : erreur :") && err.contains(fr),
            "{args:?}: {err}"
        );
    }
    // A chosen language gives that language only.
    let o = linky(&[
        "--lang",
        "en",
        "offpeak",
        "check",
        "--schedule",
        "fête",
        "2024-05-15T03:30",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown word") && !stderr(&o).contains("erreur"));
}

#[test]
fn show_draws_the_grid_with_holidays_and_dst_days() {
    let o = linky(&[
        "--lang",
        "fr",
        "offpeak",
        "show",
        "--schedule",
        "22h-6h sa 0h-24h fe 0h-24h",
        "--from",
        "2024-10-26",
        "--days",
        "7",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.len() > 15 && l.as_bytes()[4].is_ascii_digit())
        .collect();
    assert_eq!(rows.len(), 7, "{out}");
    let cells = |row: &str| row[15..63].to_owned();
    assert_eq!(cells(rows[0]), "#".repeat(48), "Saturday is all off-peak");
    assert_eq!(
        cells(rows[2]),
        format!("{}{}{}", "#".repeat(12), ".".repeat(32), "#".repeat(4))
    );
    assert!(rows[1].contains("25 h"), "{}", rows[1]);
    assert!(rows[6].starts_with("ven 2024-11-01") && rows[6].contains("Toussaint"));
    assert_eq!(
        cells(rows[6]),
        "#".repeat(48),
        "All Saints' Day uses the holiday section"
    );
}

#[test]
fn holidays_prints_date_then_name() {
    let o = linky(&["holidays", "2025"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 11);
    assert_eq!(lines[0], "2025-01-01 1er janvier");
    assert!(lines.contains(&"2025-04-21 Lundi de Pâques"));
    assert!(lines.contains(&"2025-05-29 Ascension"));
    assert!(lines.contains(&"2025-06-09 Lundi de Pentecôte"));
    let alsace = stdout(&linky(&["holidays", "2025", "--alsace-moselle"]));
    assert_eq!(alsace.lines().count(), 13);
    assert!(
        alsace.contains("2025-04-18 Vendredi saint\n")
            && alsace.contains("2025-12-26 2ème jour de Noël\n")
    );
    assert_eq!(linky(&["holidays", "nineteen"]).status.code(), Some(2));
}
