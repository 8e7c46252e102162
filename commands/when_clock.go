package commands

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Times of day and numbers as officials write them: "18:00", "下午3点",
// "6点半", "下班"; "3", "三", "两", "十二".

// readTimeOfDay reads "18:00", "18点30分", "6点半", "下午3点", "下班", "中午"
// at rs[i:]. bad is set when it has the shape of a time but no such time
// exists ("25点", "18:75").
func readTimeOfDay(rs []rune, i int) (tod time.Duration, end int, ok, bad bool) {
	s := string(rs[i:])
	for _, w := range []struct {
		word string
		at   time.Duration
	}{{"下班", EndOfWorkday}, {"上班", 9 * time.Hour}} {
		if strings.HasPrefix(s, w.word) {
			return w.at, i + utf8.RuneCountInString(w.word), true, false
		}
	}
	period := ""
	for _, p := range []string{"上午", "早上", "早晨", "清晨", "凌晨", "中午", "下午", "傍晚", "晚上", "夜里"} {
		if strings.HasPrefix(s, p) {
			period, i = p, i+utf8.RuneCountInString(p)
			break
		}
	}
	h, j, num := readNumber(rs, i)
	if !num {
		switch period {
		case "上午", "中午":
			return 12 * time.Hour, i, true, false
		case "下午":
			return EndOfWorkday, i, true, false
		}
		return 0, i, false, false
	}
	m := 0
	switch {
	case j < len(rs) && rs[j] == ':':
		mm, k, ok := readDigits(rs, j+1)
		if !ok || k-(j+1) != 2 {
			return 0, i, false, false
		}
		m, j = mm, k
	case j < len(rs) && (rs[j] == '点' || rs[j] == '时'):
		j++
		switch {
		case j < len(rs) && rs[j] == '半':
			m, j = 30, j+1
		case j < len(rs) && rs[j] == '整':
			j++
		default:
			if mm, k, ok := readNumber(rs, j); ok {
				m, j = mm, k
				if j < len(rs) && rs[j] == '分' {
					j++
				}
			}
		}
	default:
		return 0, i, false, false
	}
	switch period {
	case "下午", "傍晚", "晚上", "夜里":
		if h < 12 {
			h += 12
		}
	case "中午":
		if h >= 1 && h <= 2 {
			h += 12
		}
	}
	if h > 24 || m > 59 || (h == 24 && m > 0) {
		return 0, j, true, true
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, j, true, false
}

// readDigits reads ASCII digits at rs[i:] (at most 4).
func readDigits(rs []rune, i int) (n, end int, ok bool) {
	j := i
	for j < len(rs) && j-i < 4 && rs[j] >= '0' && rs[j] <= '9' {
		n = n*10 + int(rs[j]-'0')
		j++
	}
	return n, j, j > i
}

// readNumber reads digits, or a Chinese numeral up to 99 ("三", "两", "十二",
// "二十", "二十四").
func readNumber(rs []rune, i int) (n, end int, ok bool) {
	if n, j, ok := readDigits(rs, i); ok {
		return n, j, true
	}
	j, tens, units, seenTen := i, 0, -1, false
	for ; j < len(rs) && isCNDigit(rs[j]); j++ {
		if rs[j] == '十' {
			if seenTen {
				return 0, i, false
			}
			seenTen, tens, units = true, max(units, 1), -1
			continue
		}
		if units >= 0 {
			return 0, i, false // "二三" is not a number we read
		}
		units = cnDigit(rs[j])
	}
	if j == i {
		return 0, i, false
	}
	return tens*10 + max(units, 0), j, true
}

func isCNDigit(r rune) bool {
	return strings.ContainsRune("零〇一二两三四五六七八九十", r)
}

func cnDigit(r rune) int {
	switch r {
	case '零', '〇':
		return 0
	case '两':
		return 2
	}
	return strings.IndexRune("零一二三四五六七八九", r) / 3
}
