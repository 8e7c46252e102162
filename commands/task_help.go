package commands

import (
	"fmt"
	"math"
)

// deadlineHelp is what /帮助 督办 says about deadlines: every form the
// deadline grammar (when_grammar.go, task_deadline.go) accepts. Keep them
// together.
const deadlineHelp = "期限写法：限期3天、5个工作日、48小时、急、今天18点、明天下班前、周五、下周三上午10点、" +
	"月底、12月1日18:00、元旦前。只写日期为当天18:00；限期N天到最后一天下班，遇节假日顺延；“节前”“近期”会被追问。"

// exampleTaskDetail reads one task.
const exampleTaskDetail = "/督办 23"

// taskForms are the ways to call /督办, each with who may: the same role the
// handler checks (AssignRole for assigning), so help cannot promise more.
func (ts *Tasks) taskForms() []Form {
	return []Form{
		{Usage: "/督办 <对象> <事项> [期限]", MinRole: ts.cfg.AssignRole, Example: exampleTask,
			Summary: fmt.Sprintf("派发督办，对象写 @成员 或单位名，期限不写默认%s", chineseDuration(ts.cfg.DefaultDeadline))},
		{Usage: "/督办 随手拍<编号> <对象> [期限]", MinRole: ts.cfg.AssignRole, Example: exampleSnapshotTask,
			Summary: "把成员的随手拍转为督办，事项就是随手拍的内容"},
		{Usage: "/督办 <对象> [期限]（紧接着分享的文章）", MinRole: ts.cfg.AssignRole, Example: "/督办 区城管执法局 周五",
			Summary: fmt.Sprintf("群里分享文章后%s内发送，文章标题作为事项，详情保留链接", chineseDuration(ArticleWindow))},
		{Usage: "/督办 <编号>", MinRole: "", Example: exampleTaskDetail,
			Summary: "查看督办详情和全部历史"},
	}
}

// averageTime writes an average time to close: in hours under a day ("平均办结
// 0.1天" and "不到0.1天" read as never), in days with one decimal above.
func averageTime(days float64) string {
	if days >= 1 {
		return fmt.Sprintf("%.1f天", days)
	}
	hours := math.Round(days * 24)
	if hours < 1 {
		return "不到1小时"
	}
	return fmt.Sprintf("%.0f小时", hours)
}
