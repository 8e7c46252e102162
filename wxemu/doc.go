// Package wxemu emulates the WeChat web protocol closely enough that the real
// github.com/eatmoreapple/openwechat library (v1.4.10, Desktop mode) can log in to it,
// sync group messages from it and send text and images through it, with no WeChat
// account and no network. Tests, the demo and scripts use it in place of WeChat.
//
// One Server is one bot account and the groups it sits in. It serves two things on
// one http.Handler:
//
//   - the protocol, routed by the request's Host (login.wx.qq.com, wx.qq.com,
//     webpush.wx.qq.com, file.wx.qq.com, login.weixin.qq.com). openwechat builds
//     https URLs with those hosts; Transport rewrites them to the emulator's address
//     and keeps the WeChat host in req.Host.
//   - a control API under /_emu/ on any host, mirrored by Go methods, with which a
//     test or script plays the phone (scan, confirm, expire, ban, throttle) and the
//     other group members (post messages, read what the bot sent, rename
//     themselves) and the bot's friends (/_emu/contacts/{name}/messages: private
//     chats, the same shapes as the group endpoints).
//
// Behaviour worth knowing:
//
//   - Every successful login (QR, push or hot) hands out fresh UserNames ("@…" for
//     people, "@@…" for groups), as the real server does; AttrStatus stays stable per
//     person. Bots must re-map identities by name after every login.
//
//   - Login polls and synccheck are long polls held up to Config.LongPoll; nothing
//     ever answers "nothing new" immediately, because openwechat has no back-off.
//     Expire and Ban reach a held synccheck at once (1101, 1102); after the client's
//     own logout, synccheck answers 1100 only when the long poll ends, so that
//     openwechat's Logout is not cancelled by its own sync loop.
//
//   - Message sequence numbers are global across groups: within one group they
//     increase but have gaps. The synccheck/webwxsync SyncKey is that same number,
//     so delivery is acknowledged by the client's next SyncKey (at least once).
//
//   - Messages posted while no session is logged in are kept in the group's history
//     (the control API shows them) but are never delivered to a client, like messages
//     sent to a phone whose web session is gone.
//
//   - A member's DisplayName is their name in the group (群昵称); RenameMember changes
//     it, leaves NickName as configured, and posts WeChat's notice into the group.
//
//   - Only friends (Config.Friends, AddFriend) are listed by webwxgetcontact besides
//     the groups, and only they can chat with the bot privately, either way.
//
//   - Members can share an article (PostLink, or "link" in the control API): an app
//     message of AppMsgType 5 with the <appmsg> XML, read by openwechat's MediaData;
//     and reply quoting a message (PostQuote, or "quote": seq): AppMsgType 57 with
//     the quoted message's server id in <refermsg>.
//
// Only what a group bot needs is emulated: no voice, video, files or other app
// messages; unknown endpoints answer BaseResponse.Ret 1 and log a warning.
package wxemu
