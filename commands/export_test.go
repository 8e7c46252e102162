package commands

// LeadingNumbers exposes leadingNumbers to the table test.
var LeadingNumbers = leadingNumbers

// SnapshotText exposes snapshotText to the table test.
var SnapshotText = snapshotText
