-- 0013_attach_many: several pictures after one command ("/办结 3、11" and
-- three photos), counted in the slot; further rows the same pictures belong
-- to; and pictures kept with any feature's row beyond the one it has a column
-- for (a hand-in's second photo, a 随手拍's pictures).

ALTER TABLE attach_slots ADD COLUMN max_pictures INTEGER NOT NULL DEFAULT 1;
ALTER TABLE attach_slots ADD COLUMN pictures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attach_slots ADD COLUMN more_refs TEXT NOT NULL DEFAULT '';

CREATE TABLE ref_images (
	kind       TEXT    NOT NULL CHECK (kind <> ''),
	ref_id     INTEGER NOT NULL,
	image_id   INTEGER NOT NULL REFERENCES images (id),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (kind, ref_id, image_id)
);
