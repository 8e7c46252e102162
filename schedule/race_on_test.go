//go:build race

package schedule_test

// raceDetector is set under -race, which makes the pure-Go SQLite some
// twenty times slower: the scale tests then use a tenth of their size.
const raceDetector = true
