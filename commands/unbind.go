package commands

import (
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu"
)

const exampleUnbind = "/成员 解绑 张三"

// handleMemberUnbind (/成员 解绑, owners only) undoes a bind: the identity
// behind it keeps no rights, any live code of the member is destroyed, and
// the member stays registered so a fresh code (/成员 认证码) can bind the
// right person. It is the answer to a bind announcement nobody expected.
func handleMemberUnbind(req *Request) (string, error) {
	if len(req.Cmd.Args) != 1 {
		return "", qunzhu.Errorf(qunzhu.EINVALID, "请写上一位成员的名字。例：%s", exampleUnbind)
	}
	name := strings.TrimLeft(req.Cmd.Args[0], "@＠")
	m, err := req.Tx.MemberByName(req.In.GroupID, name)
	if qunzhu.ErrorCode(err) == qunzhu.ENOTFOUND {
		return "", qunzhu.Errorf(qunzhu.ENOTFOUND, "本群没有登记「%s」。发送 /成员 查看登记的成员。", name)
	} else if err != nil {
		return "", err
	}
	if me := req.Member(); me != nil && me.ID == m.ID {
		return "", qunzhu.Errorf(qunzhu.EFORBIDDEN, "不能解绑你自己：请另一位群主操作。")
	}
	if !m.Bound {
		return "", qunzhu.Errorf(qunzhu.ECONFLICT, "%s还没有认证，不需要解绑。", m.Name)
	}
	if err := req.Tx.UnbindMember(m.ID); err != nil {
		return "", err
	}
	return fmt.Sprintf("已解绑 %s：原来认证的微信身份不再有任何权限。需要重新认证请发送：/成员 认证码 %s", m.Name, m.Name), nil
}
