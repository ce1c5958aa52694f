//! The results and blank numbers lists, read as staff send them.

use super::*;
use crate::domain::Email;
use crate::participants::read_csv;

fn batch() -> BTreeMap<ParticipantId, Participant> {
    [
        (1, "Ayu", "ayu@example.com", "R-1"),
        (2, "Budi", "budi@example.com", "R-2"),
        (3, "Citra", "citra@example.com", "R-3"),
    ]
    .into_iter()
    .map(|(id, name, email, number)| {
        (
            ParticipantId(id),
            Participant {
                id: ParticipantId(id),
                name: name.into(),
                email: Email::parse(email).unwrap(),
                registration_no: Some(number.into()),
            },
        )
    })
    .collect()
}

#[test]
fn results_by_registration_number_email_or_name() {
    let plain = |rows: Vec<Verdict>| -> Vec<(ParticipantId, Competence)> {
        rows.into_iter()
            .map(|v| (v.participant, v.result))
            .collect()
    };
    let by_number = read_csv(b"registration_no,result\nR-1,K\nR-2,bk\n").unwrap();
    assert_eq!(
        plain(validate(&by_number, &batch()).unwrap()),
        vec![
            (ParticipantId(1), Competence::Kompeten),
            (ParticipantId(2), Competence::BelumKompeten)
        ]
    );
    let by_email = read_csv(b"email;hasil\nCITRA@example.com;Kompeten\n").unwrap();
    assert_eq!(
        plain(validate(&by_email, &batch()).unwrap()),
        vec![(ParticipantId(3), Competence::Kompeten)]
    );
    let by_name = read_csv(b"nama,hasil\nbudi,K\n").unwrap();
    assert_eq!(
        plain(validate(&by_name, &batch()).unwrap()),
        vec![(ParticipantId(2), Competence::Kompeten)]
    );
}

/// A BK row names its units not yet competent, separated by `;`
/// (inside a quoted cell of a comma-separated file); a K row with
/// units, or a code too long, is refused with its row.
#[test]
fn units_not_yet_competent_go_with_a_bk_row() {
    let rows = read_csv(
        b"registration_no,result,unit_bk\nR-1,K,\nR-2,BK,\"TIK.OP02.001.01; TIK.OP02.004.01\"\n",
    )
    .unwrap();
    let verdicts = validate(&rows, &batch()).unwrap();
    assert_eq!(verdicts[0].units_bk, Some(Vec::new()));
    assert_eq!(
        verdicts[1].units_bk,
        Some(vec![
            "TIK.OP02.001.01".to_string(),
            "TIK.OP02.004.01".to_string()
        ])
    );
    // Without the column, nothing is said about units.
    let plain = read_csv(b"registration_no,result\nR-2,BK\n").unwrap();
    assert_eq!(validate(&plain, &batch()).unwrap()[0].units_bk, None);
    let long = "X".repeat(MAX_UNIT_CODE + 1);
    let bad = format!("registration_no;hasil;unit_bk\nR-1;K;TIK.1\nR-2;BK;{long}\n");
    match validate(&read_csv(bad.as_bytes()).unwrap(), &batch()) {
        Err(ListError::BadRows(bad)) => {
            let shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
            assert_eq!(shown.len(), 2, "{shown:?}");
            assert!(
                shown[0].starts_with("row 2: units not yet competent"),
                "{shown:?}"
            );
            assert!(
                shown[1].starts_with("row 3: '") && shown[1].contains("not a list of unit codes"),
                "{shown:?}"
            );
        }
        other => panic!("expected bad rows, got {other:?}"),
    }
}

#[test]
fn every_bad_row_is_named() {
    let rows = read_csv(b"registration_no,result\nR-1,K\nR-9,K\nR-2,lulus\nR-1,BK\nR-3\n").unwrap();
    match validate(&rows, &batch()) {
        Err(ListError::BadRows(bad)) => {
            let shown: Vec<String> = bad.iter().map(ToString::to_string).collect();
            assert_eq!(
                shown,
                vec![
                    "row 3: no participant 'R-9' in this batch",
                    "row 4: 'lulus' is not a result: use K or BK",
                    "row 5: this participant is also on row 2",
                    "row 6: expected 2 columns (registration_no, result) but found 1",
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let blanks = read_csv(b"registration_no,no_blangko\nR-1,B-7\nR-2,B-7\n").unwrap();
    match blank_numbers(&blanks, &batch()) {
        Err(ListError::BadRows(bad)) => {
            assert_eq!(
                bad[0].to_string(),
                "row 3: the blank number B-7 is also on row 2"
            )
        }
        other => panic!("{other:?}"),
    }
    let wrong = read_csv(b"peserta,nilai\nAyu,90\n").unwrap();
    assert!(
        validate(&wrong, &batch())
            .unwrap_err()
            .to_string()
            .starts_with("row 1 must be the header")
    );
}
