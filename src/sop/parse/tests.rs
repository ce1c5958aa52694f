use super::*;
use crate::domain::Lang;
use crate::sop::DEFAULT_PROCEDURE;

fn edited(from: &str, to: &str) -> String {
    assert!(DEFAULT_PROCEDURE.contains(from), "{from}");
    DEFAULT_PROCEDURE.replacen(from, to, 1)
}

fn error_of(text: &str) -> ProcedureError {
    parse(text, "sop.toml").unwrap_err()
}

#[test]
fn a_toml_syntax_error_names_file_and_line() {
    let text = edited("no = 4\n", "no = 4\nroles = [\n");
    let err = error_of(&text);
    assert_eq!(err.origin, "sop.toml");
    assert!(err.line.is_some());
    assert!(err.to_string().starts_with("sop.toml, line "), "{err}");
}

#[test]
fn an_unknown_role_names_the_step_and_its_line() {
    let text = edited(
        "roles = [\"ketua-lsp\"]\nstandard_time = \"1 jam\"",
        "roles = [\"direktur\"]\nstandard_time = \"1 jam\"",
    );
    let err = error_of(&text);
    assert!(
        err.to_string()
            .contains("step 4, roles: unknown role 'direktur'"),
        "{err}"
    );
    let line = err.line.unwrap();
    let step_line = text.lines().position(|l| l == "no = 4").unwrap() + 1;
    assert!(
        line <= step_line && line + 2 >= step_line,
        "{line} vs {step_line}"
    );
}

#[test]
fn each_broken_rule_is_refused_with_its_reason() {
    let cases: Vec<(String, &str)> = vec![
        (
            edited("after = [6]", "after = [9]"),
            "comes after step 9, which is not listed",
        ),
        (edited("no = 2\n", "no = 1\n"), "step 1 is listed twice"),
        (
            edited(
                "standard_time = \"1 minggu\"",
                "standard_time = \"sebentar\"",
            ),
            "step 6, standard_time",
        ),
        (
            edited(
                "done_by = [\"ketua-lsp\"]",
                "done_by = [\"kabag-administrasi\"]",
            ),
            "done_by must name",
        ),
        (
            edited("records = \"results\"\n", ""),
            "no step records results",
        ),
        (
            edited(
                "applies = \"some-k\"\nrecords = \"blank-numbers\"",
                "applies = \"some-bk\"\nrecords = \"blank-numbers\"",
            ),
            "must apply to some-k",
        ),
        (
            edited("after = [5, 10]", "after = [5]"),
            "none of the steps it comes after concerns K",
        ),
        (
            edited("records = \"decree\"", "records = \"meeting\""),
            "already does",
        ),
        (
            edited("per_participant = true\n", ""),
            "exactly when it records receipts",
        ),
        (
            edited("gloss = \"Print", "colour = \"red\"\ngloss = \"Print"),
            "unknown field `colour`",
        ),
        (
            edited(
                "records = \"decree\"",
                "records = \"decree\"\nclock = \"meeting\"",
            ),
            "has clock = \"meeting\" but step 3 already does",
        ),
        (
            edited("clock = \"meeting\"\n", "").replacen(
                "records = \"meeting\"\nafter = []",
                "records = \"meeting\"\nclock = \"meeting\"\nafter = []",
                1,
            ),
            "step 1 has clock = \"meeting\", so it must come",
        ),
        (
            edited("clock = \"meeting\"", "clock = \"rapat\""),
            "unknown variant `rapat`",
        ),
        (
            edited("applies = \"some-bk\"", "applies = \"kadang\""),
            "unknown variant `kadang`",
        ),
    ];
    let templates =
        crate::templates::Templates::embedded(Default::default(), chrono_tz::Asia::Jakarta);
    let apology = templates.phrase(Lang::Id, "failure", serde_json::json!({}));
    for (text, expected) in cases {
        let err = error_of(&text);
        assert!(
            err.to_string().contains(expected),
            "expected '{expected}' in: {err}"
        );
        // The command line says the same in the operator's language: the
        // English phrase is the error's own sentence, the Indonesian one
        // is Indonesian (never the apology for a phrase that failed).
        let context = serde_json::to_value(&err).unwrap();
        let english = templates.phrase(Lang::En, "procedure_error", context.clone());
        assert_eq!(english, format!("{err}."), "{context}");
        let indonesian = templates.phrase(Lang::Id, "procedure_error", context.clone());
        assert_ne!(indonesian, apology, "{context}");
        assert!(indonesian.starts_with("sop.toml"), "{indonesian}");
        for english_word in ["step ", "must ", "cannot ", "needs ", "missing ", " or "] {
            assert!(
                !indonesian.contains(english_word),
                "{english_word} in {indonesian}"
            );
        }
    }
}

#[test]
fn a_conditional_step_must_follow_the_results() {
    // Move step 5 to come after step 2 only: it could not know who is BK.
    let text = edited(
        "applies = \"some-bk\"\nafter = [4]",
        "applies = \"some-bk\"\nafter = [2]",
    );
    assert!(
        error_of(&text)
            .to_string()
            .contains("must come (directly or through other steps) after step 3")
    );
}

#[test]
fn editing_the_file_changes_the_fingerprint() {
    let a = parse(DEFAULT_PROCEDURE, "a").unwrap();
    let b = parse(&edited("3 jam", "4 jam"), "b").unwrap();
    assert_ne!(a.fingerprint, b.fingerprint);
    assert_eq!(b.step(StepNo(3)).unwrap().standard_time.amount, 4);
}
