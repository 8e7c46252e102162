package commands

import (
	"fmt"

	"github.com/qunzhu/qunzhu"
)

// attachReportMore is the slot kind of /补图 作业: pictures added to a hand-in
// later, kept beside its picture instead of replacing it.
const attachReportMore = "report+"

const exampleReportPicture = "/补图 作业"

// registerPictures adds /补图 作业 and its picture handler.
func (rp *Reports) registerPictures(r *Router) {
	r.Register(Spec{
		Name:    "补图 作业",
		Aliases: []string{"补图 交作业"},
		Family:  familyReport,
		MinRole: qunzhu.RoleMember,
		Summary: fmt.Sprintf("给本单位最近交的作业补发图片：发送后2分钟内接着发（最多%d张）", qunzhu.MaxPictures),
		Example: exampleReportPicture,
		Handle:  rp.handleMorePictures,
	})
	r.RegisterAttach(attachReportMore, rp.attachPicture)
}

// handleMorePictures is /补图 作业: the next pictures go with the latest
// version of the sender's unit's latest hand-in.
func (rp *Reports) handleMorePictures(req *Request) (string, error) {
	m := req.Member()
	if m.Unit == "" {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "你没有登记所在单位，没有作业可以补图。例：%s", exampleReportPicture)
	}
	_, open, err := rp.schedule(req)
	if err != nil {
		return "", err
	}
	cycles := []*qunzhu.ReportCycle{open}
	closed, err := req.Tx.ReportCycles(req.In.GroupID, req.Now, 3)
	if err != nil {
		return "", err
	}
	cycles = append(cycles, closed...)
	for _, c := range cycles {
		if c == nil {
			continue
		}
		subs, err := req.Tx.Submissions(c.ID)
		if err != nil {
			return "", err
		}
		var latest *qunzhu.Submission
		for _, s := range subs {
			if s.Unit == m.Unit && (latest == nil || s.Version > latest.Version) {
				latest = s
			}
		}
		if latest == nil {
			continue
		}
		if err := req.ExpectPictures(attachReportMore, []int64{latest.ID}, qunzhu.MaxPictures, PictureWindow); err != nil {
			return "", err
		}
		return fmt.Sprintf("请在2分钟内发送 %s %s作业的图片（最多%d张）。", m.Unit,
			c.Label(req.Now, rp.cfg.Calendar.Location), qunzhu.MaxPictures), nil
	}
	return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "%s最近还没有交作业，先交作业再补图。例：%s", m.Unit, exampleSubmit)
}
