use super::*;

fn parse(text: &[u8]) -> Result<Vec<NewParticipant>, ListError> {
    validate(&read_csv(text)?, &Existing::default())
}

fn bad_rows(text: &[u8]) -> Vec<String> {
    match parse(text) {
        Err(ListError::BadRows(rows)) => rows.iter().map(ToString::to_string).collect(),
        other => panic!("expected bad rows, got {other:?}"),
    }
}

#[test]
fn reads_a_comma_list_with_utf8_names() {
    let list = parse(
        "name,email,registration_no\nNi Komang Ayu Widyastuti,ayu@example.ac.id,MET.001\n\"Ma'ruf, Amin\",maruf@example.com,\n"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].name, "Ni Komang Ayu Widyastuti");
    assert_eq!(list[0].registration_no.as_deref(), Some("MET.001"));
    assert_eq!(list[1].name, "Ma'ruf, Amin");
    assert_eq!(list[1].registration_no, None);
}

#[test]
fn reads_excels_semicolons_bom_and_crlf() {
    let list = parse(
        b"\xEF\xBB\xBFnama;email;no_registrasi\r\nDwi Ayu Lestari Siregar;dwi@example.com;R-7\r\n;;\r\n",
    )
    .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].email.as_str(), "dwi@example.com");
}

#[test]
fn names_with_nul_or_right_to_left_marks_are_refused_with_their_row() {
    let text = "name,email,registration_no\nAyu\u{0},ayu@example.com,R1\n\u{202E}KB Budi,budi@example.com,R2\nCitra,citra@example.com,R\u{200F}3\nDewi\tLestari,dewi@example.com,R4\n";
    assert_eq!(
        bad_rows(text.as_bytes()),
        vec![
            "row 2: the name holds an invisible control character (such as NUL or a right-to-left mark); type it again",
            "row 3: the name holds an invisible control character (such as NUL or a right-to-left mark); type it again",
            "row 4: the registration number holds an invisible control character (such as NUL or a right-to-left mark); type it again",
        ]
    );
}

#[test]
fn names_every_bad_row_with_its_spreadsheet_number() {
    let mut text = b"name,email,registration_no\n".to_vec();
    text.extend_from_slice(b"Asesi Baik,baik@example.com,R1\n"); // row 2
    text.extend_from_slice(b",kosong@example.com,R2\n"); // row 3: empty name
    text.extend_from_slice(b"Asesi Tiga,bukan-email,R3\n"); // row 4: invalid email
    text.extend_from_slice(b"Asesi Empat,BAIK@example.com,R4\n"); // row 5: duplicate email
    text.extend_from_slice(b"Asesi Lima,lima@example.com,R1\n"); // row 6: duplicate number
    text.extend_from_slice(b"Asesi Enam,enam@example.com\n"); // row 7: two columns
    text.extend_from_slice(b"Asesi \xff Tujuh,tujuh@example.com,R7\n"); // row 8: bad UTF-8
    text.extend_from_slice(b"\"Asesi\nDelapan\",,R8\n"); // row 9 (two lines): no email
    text.extend_from_slice(b"Asesi Sembilan,sembilan@example.com,R9\n"); // row 10: fine
    assert_eq!(
        bad_rows(&text),
        vec![
            "row 3: the name is empty",
            "row 4: 'bukan-email' is not a valid email address",
            "row 5: the email BAIK@example.com is also on row 2",
            "row 6: the registration number R1 is also on row 2",
            "row 7: expected 3 columns (name, email, registration_no) but found 2",
            "row 8: the text is not valid UTF-8 (save the file as \"CSV UTF-8\")",
            "row 9: the email is empty",
        ]
    );
}

#[test]
fn duplicates_of_an_earlier_import_are_refused() {
    let existing = Existing {
        emails: ["ayu@example.com".to_string()].into(),
        registration_nos: ["R-1".to_string()].into(),
    };
    let rows = read_csv(b"name,email,registration_no\nAyu,Ayu@Example.com,R-1\n").unwrap();
    match validate(&rows, &existing) {
        Err(ListError::BadRows(rows)) => assert_eq!(
            rows[0].to_string(),
            "row 2: the email Ayu@Example.com is already in this batch; the registration number R-1 is already in this batch"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wrong_header_or_an_empty_file_is_unusable() {
    for (text, expected) in [
        (&b""[..], "the file is empty"),
        (
            b"nama,alamat\nA,B\n",
            "row 1 must be the header name,email,registration_no (and optionally nik,birth_place,birth_date,phone) (found: nama,alamat)",
        ),
        (
            b"name,email,registration_no\n",
            "the file has a header but no rows",
        ),
    ] {
        assert_eq!(parse(text).unwrap_err().to_string(), expected);
    }
}

#[test]
fn rows_are_numbered_alike_whatever_the_line_endings() {
    // Row 1 is the header; row 3 has a bad email, row 4 a name over two
    // lines inside quotes, row 5 is Latin-1 (not UTF-8).
    let lf: &[u8] = b"name,email,registration_no\nAyu,ayu@example.com,R1\nBudi,bukan-email,R2\n\"Citra\nDewi\",citra@example.com,R3\nJos\xe9,jose@example.com,R4\n";
    let crlf: Vec<u8> = lf
        .iter()
        .flat_map(|b| {
            if *b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![*b]
            }
        })
        .collect();
    let numbers =
        |text: &[u8]| -> Vec<usize> { read_csv(text).unwrap().iter().map(|r| r.row).collect() };
    assert_eq!(numbers(lf), [1, 2, 3, 4, 5]);
    assert_eq!(numbers(&crlf), [1, 2, 3, 4, 5]);
    let (a, b) = (bad_rows(lf), bad_rows(&crlf));
    assert_eq!(a, b);
    assert!(a[0].starts_with("row 3:"), "{a:?}");
    assert!(a[1].starts_with("row 5:"), "{a:?}");
}

#[test]
fn the_optional_columns_bnsp_asks_for_are_read_in_any_order() {
    let list = parse(
        "nama;tanggal_lahir;email;nik;no_registrasi;tempat_lahir;no_hp\nDwi Ayu;01-03-1995;dwi@example.com;3171 0101 0195 0001;R-1;Bandung;0812-3456-7890\nBagus;;bagus@example.com;;R-2;;\n"
            .as_bytes(),
    )
    .unwrap();
    let d = &list[0].details;
    assert_eq!(d.nik.as_deref(), Some("3171010101950001"));
    assert_eq!(d.birth_place.as_deref(), Some("Bandung"));
    assert_eq!(d.birth_date, chrono::NaiveDate::from_ymd_opt(1995, 3, 1));
    assert_eq!(d.phone.as_deref(), Some("0812-3456-7890"));
    assert_eq!(
        list[1].details,
        crate::domain::ParticipantDetails::default()
    );
    // A list without them still imports, as before.
    assert_eq!(
        parse(b"name,email,registration_no\nA,a@example.com,1\n").unwrap()[0]
            .details
            .nik,
        None
    );
}

#[test]
fn a_bad_nik_date_of_birth_or_phone_refuses_the_list_naming_each_row() {
    let rows = bad_rows(
        b"name,email,registration_no,nik,birth_date,phone\nA,a@example.com,1,12345,1995-03-01,0812\nB,b@example.com,2,3171010101950001,31-02-1995,08123456789\nC,c@example.com,3,3171010101950001,,call me\n",
    );
    assert_eq!(
        rows,
        [
            "row 2: the NIK '12345' is not 16 digits; '0812' is not a phone number",
            "row 3: '31-02-1995' is not a date of birth (write it as YYYY-MM-DD or DD-MM-YYYY)",
            "row 4: the NIK 3171010101950001 is also on row 3; 'call me' is not a phone number",
        ]
    );
    // A short row is told which columns the list has.
    assert_eq!(
        bad_rows(b"nama,email,no_registrasi,nik\nA,a@example.com,1\n"),
        ["row 2: expected 4 columns (nama, email, no_registrasi, nik) but found 3"]
    );
    // An unknown or doubled column is a wrong header, not a silent loss.
    for header in [
        "name,email,registration_no,nik,agama",
        "name,email,registration_no,nik,no_ktp",
    ] {
        let text = format!("{header}\nA,a@example.com,1,3171010101950001,x\n");
        assert!(
            matches!(
                parse(text.as_bytes()),
                Err(ListError::Unusable(FileProblem::Header { .. }))
            ),
            "{header}"
        );
    }
}
