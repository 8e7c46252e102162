package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu"
)

// Commands on several tasks at once and pictures added later: "/办结 3、11
// 已整改", "/销号 3,11", "/补图 23". People clear a batch of problems in one
// message and send the photos whenever they have them.

// maxBatch bounds the numbers one command takes, so its reply fits a phone.
const maxBatch = 10

const (
	exampleTaskDoneMany = "/办结 3、11 已整改"
	exampleRepicture    = "/补图 23"
)

// batchSpecs are the 督办 commands of this file, added to Specs.
func (ts *Tasks) batchSpecs() []Spec {
	return []Spec{
		{Name: "补图", MinRole: qunzhu.RoleMember, Handle: ts.handleRepicture,
			Summary: fmt.Sprintf("给督办补发现场照片：发送后%s内接着发图片（最多%d张）", chineseDuration(ts.cfg.PictureWindow), qunzhu.MaxPictures),
			Example: exampleRepicture},
	}
}

// leadingNumbers reads the task numbers at the start of rest ("3、11 已整改",
// "#3,#11", "3 11") and returns them with the text after them.
func leadingNumbers(rest string) (ids []int64, text string) {
	text = rest
	for text != "" {
		word, after := splitWord(text)
		id, ok := taskNumber(word)
		if !ok {
			break
		}
		ids = append(ids, id)
		text = after
	}
	return ids, text
}

// many runs handle once per task number named at the start of the command,
// all in the one transaction: every task changes or none does, and the
// refusal names the task that stopped it. One number is the plain command.
func (ts *Tasks) many(req *Request, handle HandlerFunc, example string) ([]int64, string, error) {
	ids, text := leadingNumbers(req.Cmd.Rest)
	if len(ids) < 2 {
		reply, err := handle(req)
		return ids, reply, err
	}
	if len(ids) > maxBatch {
		return nil, "", qunzhu.Errorf(qunzhu.EINVALID, "一次最多办理%d件督办。例：%s", maxBatch, example)
	}
	replies := make([]string, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		one := *req
		rest := strconv.FormatInt(id, 10)
		if text != "" {
			rest += " " + text
		}
		one.Cmd = Command{Name: req.Cmd.Name, Args: splitArgs(rest), Rest: rest}
		reply, err := handle(&one)
		req.At = append(req.At, one.At...)
		if err != nil {
			var e *qunzhu.Error
			if errors.As(err, &e) && e.Code != qunzhu.EINTERNAL {
				return nil, "", qunzhu.Errorf(e.Code, "督办#%d：%s（这条命令里的督办都没有办理。）", id, e.Message)
			}
			return nil, "", err
		}
		replies = append(replies, reply)
	}
	return ids, strings.Join(replies, "\n"), nil
}

// handleDoneMany is /办结 with one or several numbers; the photos that follow
// belong to every task named.
func (ts *Tasks) handleDoneMany(req *Request) (string, error) {
	ids, reply, err := ts.many(req, ts.handleDone, exampleTaskDoneMany)
	if err != nil || len(ids) < 2 {
		return reply, err
	}
	if err := req.ExpectPictures(AttachTask, dedupIDs(ids), qunzhu.MaxPictures, ts.cfg.PictureWindow); err != nil {
		return "", err
	}
	return reply, nil
}

// handleCloseMany is /销号 with one or several numbers.
func (ts *Tasks) handleCloseMany(req *Request) (string, error) {
	_, reply, err := ts.many(req, ts.handleClose, "/销号 3、11")
	return reply, err
}

// handleRepicture is /补图 <编号>: the pictures the sender sends next are kept
// with the task, for a photo taken later or sent too late after /办结. The
// task's responsible people and whoever may close it may add pictures.
func (ts *Tasks) handleRepicture(req *Request) (string, error) {
	ids, _ := leadingNumbers(req.Cmd.Rest)
	if len(ids) == 0 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上督办编号，然后接着发图片。例：%s", exampleRepicture)
	}
	if len(ids) > maxBatch {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "一次最多给%d件督办补图。例：%s", maxBatch, exampleRepicture)
	}
	ids = dedupIDs(ids)
	numbers := make([]string, len(ids))
	for i, id := range ids {
		task, err := loadTask(req, strconv.FormatInt(id, 10), exampleRepicture)
		if err != nil {
			return "", err
		}
		ok, err := isResponsible(req.Tx, task, req.Member())
		if err != nil {
			return "", err
		}
		if !ok && mayClose(req, task) != nil {
			return "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "只有督办%s的责任人、%s的成员、督办人或群主可以补图。例：%s",
				task.Number(), task.Unit, exampleRepicture)
		}
		numbers[i] = task.Number()
	}
	if err := req.ExpectPictures(AttachTask, ids, qunzhu.MaxPictures, ts.cfg.PictureWindow); err != nil {
		return "", err
	}
	return fmt.Sprintf("请在%s内发送督办%s的照片（最多%d张）。", chineseDuration(ts.cfg.PictureWindow),
		strings.Join(numbers, "、"), qunzhu.MaxPictures), nil
}

// dedupIDs drops repeated numbers, keeping the first order.
func dedupIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
