-- Issue 24: what papers print beside a signature and on a BK letter.
-- A member's NIP (nomor induk pegawai), printed under their name where they
-- sign; optional, as not every LSP's staff have one.
ALTER TABLE members ADD COLUMN nip TEXT;
-- The units of competence a BK participant is not yet competent in, as the
-- results file gave them (codes separated by ';'), named on their letter.
ALTER TABLE participants ADD COLUMN units_bk TEXT;
