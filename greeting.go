package qunzhu

import "time"

// Festival is a holiday a greeting can be set for. Name is how it is chosen
// and listed ("端午"); FullName is what {节日} becomes in the text ("端午节").
type Festival struct {
	Name     string
	FullName string
	Lunar    bool // follows the lunar calendar (or a solar term), so its date moves
}

// Calendar tells when festivals fall. It is an interface so that the domain
// and the commands stay free of the lunar calendar library; the festival
// package implements it over github.com/6tail/lunar-go.
type Calendar interface {
	// Festival finds a festival as people write it: "端午", "端午节", "五一".
	Festival(name string) (Festival, bool)
	// Festivals lists every festival the calendar knows, in the order of a year.
	Festivals() []Festival
	// Date is the day festival name (a Festival.Name) falls on in year, at
	// midnight in the calendar's time zone. A festival falls once per year
	// number: 除夕 and 腊八 of year Y are the ones before 春节 of Y.
	Date(name string, year int) (time.Time, bool)
}

// GreetingStatus tells a live greeting from a cancelled one.
type GreetingStatus string

// Greeting statuses.
const (
	GreetingActive    GreetingStatus = "active"
	GreetingCancelled GreetingStatus = "cancelled"
)

// Greeting (节日祝福) is a yearly broadcast on a festival: set once with
// /节日 设置, it goes out every year on the festival's date at Hour:Minute,
// to the groups its author owned when setting it. Each year's sending is a
// Broadcast with GreetingID and Year, stored at most once, so a greeting is
// sent exactly once a year whatever the restarts.
type Greeting struct {
	ID       int64
	Status   GreetingStatus
	Festival string // Festival.Name
	Hour     int
	Minute   int
	Text     string // may hold {节日} and {群名}
	ImageID  int64

	AuthorID      int64
	AuthorName    string
	OriginGroupID int64
	Targets       []int64

	// NextAt is the next sending (festival day at Hour:Minute); NextYear the
	// year number of that festival occurrence.
	NextAt   time.Time
	NextYear int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// NextFestivalTime is the first time after `after` at which festival name, at
// hour:minute on its day, comes round, with the year number of that
// occurrence; ok is false if the calendar does not know the festival.
func NextFestivalTime(cal Calendar, name string, hour, minute int, after time.Time) (at time.Time, year int, ok bool) {
	for y := after.Year() - 1; y <= after.Year()+2; y++ {
		day, ok := cal.Date(name, y)
		if !ok {
			return time.Time{}, 0, false
		}
		at := time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, day.Location())
		if at.After(after) {
			return at, y, true
		}
	}
	return time.Time{}, 0, false
}

// GreetingTx is the part of a transaction that keeps festival greetings.
type GreetingTx interface {
	// CreateGreeting stores g with its Targets and sets g.ID; an author has one
	// active greeting per festival (ECONFLICT otherwise).
	CreateGreeting(g *Greeting) error
	// UpdateGreeting saves status, time, text, picture, targets and the next sending.
	UpdateGreeting(g *Greeting) error
	GreetingByID(id int64) (*Greeting, error)
	// GreetingsFrom lists the active greetings set in a group, soonest first.
	GreetingsFrom(groupID int64) ([]*Greeting, error)
	// DueGreetings are active greetings whose NextAt has come, soonest first.
	DueGreetings(now time.Time, limit int) ([]*Greeting, error)
}
