package qunzhu_test

import (
	"testing"

	"github.com/qunzhu/qunzhu"
)

func TestShownAs(t *testing.T) {
	ma := &qunzhu.Member{Name: "马骏", Unit: "区房管局"}
	tests := []struct {
		shown string
		want  bool
	}{
		{"马骏", true},
		{" 马骏\u2005", true},
		{"区房管局 马骏", true},
		{"区房管局\u3000马骏", true},
		{"区房管局-马骏", true},
		{"区房管局－马骏", true},
		{"区房管局—马骏", true},
		{"区房管局_马骏", true},
		{"区房管局·马骏", true},
		{"区房管局｜马骏", true},
		{"区房管局马骏", true},
		{"马骏 区房管局", true},
		{"马骏-区房管局", true},
		{"马骏(区房管局)", true},
		{"马骏（区房管局）", true},
		{"【区房管局】马骏", true},
		{"区城管局 马骏", false}, // another unit's 马骏
		{"区房管局 马骏2", false},
		{"区房管局 马", false},
		{"区房管局", false},
		{"马骏骏", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := qunzhu.ShownAs(ma, tt.shown); got != tt.want {
			t.Errorf("ShownAs(马骏 of 区房管局, %q) = %v, want %v", tt.shown, got, tt.want)
		}
	}
	if qunzhu.ShownAs(&qunzhu.Member{Name: "马骏"}, "区房管局 马骏") {
		t.Error("a member without a unit matched a unit prefix")
	}
	if qunzhu.ShownAs(nil, "马骏") {
		t.Error("nil member matched")
	}
}
