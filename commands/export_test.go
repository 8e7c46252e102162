package commands

// LeadingNumbers exposes leadingNumbers to the table test.
var LeadingNumbers = leadingNumbers
