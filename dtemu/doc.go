// Package dtemu emulates the parts of DingTalk that an enterprise internal
// robot in Stream mode talks to, so the unmodified dingtalk-stream-sdk-go and
// qunzhu's DingTalk adapter run in tests and in the demo with no account:
//
//   - POST /v1.0/gateway/connections/open issues a one-time ticket and the
//     WebSocket endpoint; GET /connect?ticket=… is the stream. The chatbot
//     topic's CALLBACK frames carry the group @-messages; every frame must be
//     acknowledged, and an unacknowledged one is delivered again (same
//     messageId) like the real gateway does. WebSocket pings are answered.
//   - POST /v1.0/oauth2/accessToken gives an access token from appKey and
//     appSecret; POST /v1.0/robot/groupMessages/send posts into a group with
//     it; POST /robot/sendBySession?session=… is a message's sessionWebhook,
//     valid for a while after the message; POST
//     /v1.0/robot/messageFiles/download turns a picture's downloadCode into a
//     URL under /files/; POST /media/upload (the older API's, token in the
//     query) takes the robot's pictures for sampleImageMsg.
//   - The control API has the shape of wxemu's: GET /_emu/groups, POST and
//     GET /_emu/groups/{name}/messages, GET and POST /_emu/session (faults:
//     expire the token or the session webhooks, throttle, fail with 5xx,
//     drop the stream, redeliver the last message).
//
// Standard library only, WebSocket included (ws.go), like wxemu.
package dtemu
