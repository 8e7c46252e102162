// Records what real npm robot clients put on the wire, for the replay tests
// (webhook/recorded_test.go). Each client is pointed at a local recorder the
// way a user points it at qunzhu: dingtalk-robot-sender through its webhook
// option, push-all-in-one's DingTalk robot through its webhook field, and its
// WeCom robot (whose URL is fixed) by rewriting only the scheme and host of
// each request. Bodies, query strings and headers are the clients' own.
//
// Regenerate (any empty directory, Node 18+):
//   npm install dingtalk-robot-sender@1.2.0 push-all-in-one@4.5.2
//   node /path/to/record.cjs /path/to/webhook/testdata/recorded
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const out = process.argv[2] || '.';
// Modules are looked up from the working directory (where npm installed them).
const need = require('module').createRequire(path.join(process.cwd(), 'noop.js'));
// Test credentials only: the replay tests configure the same ones.
const DING_TOKEN = 'dingtalk-token-recorded-0001';
const DING_SECRET = 'SECrecorded0123456789abcdef';
const WECOM_KEY = 'wecom-key-recorded-00000001';

const recorded = [];
let current = null;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    recorded.push({
      client: current.client,
      call: current.call,
      method: req.method,
      url: req.url,
      content_type: req.headers['content-type'] || '',
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.setHeader('Content-Type', 'application/json');
    res.end('{"errcode":0,"errmsg":"ok"}');
  });
});

async function record(client, call, fn) {
  current = { client, call };
  await fn();
}

server.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  const pngB64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
  const pngMD5 = require('crypto').createHash('md5').update(Buffer.from(pngB64, 'base64')).digest('hex');

  // dingtalk-robot-sender 1.2.0
  const ChatBot = need('dingtalk-robot-sender');
  const ding = new ChatBot({ webhook: `${base}/robot/send?access_token=${DING_TOKEN}`, secret: DING_SECRET });
  const drs = 'dingtalk-robot-sender@1.2.0';
  await record(drs, 'text', () => ding.text('12345热线：黄浦区工单已超期，市民电话 139 1234 5678，请市城管委处理', { atMobiles: ['13800001111'], isAtAll: false }));
  await record(drs, 'markdown', () => ding.markdown('周报', '## 本周督办\n- **已办结** 3 件\n- 逾期 1 件\n> 请各单位抓紧'));
  await record(drs, 'link', () => ding.link({ title: '停水通知', text: '人民路今晚22点停水', messageUrl: 'https://example.gov.cn/notice/1', picUrl: '' }));
  await record(drs, 'actionCard', () => ding.actionCard({ title: '整改通知', text: '### 整改通知\n请于周五前报送整改方案', btns: [{ title: '查看', actionURL: 'https://example.gov.cn/a/1' }] }));
  await record(drs, 'feedCard', () => ding.feedCard([
    { title: '通知一', messageURL: 'https://example.gov.cn/n/1', picURL: 'https://example.gov.cn/p/1.png' },
    { title: '通知二', messageURL: 'https://example.gov.cn/n/2', picURL: 'https://example.gov.cn/p/2.png' },
  ]));

  // push-all-in-one 4.5.2 (ESM-first; its CommonJS build)
  const pai = need('push-all-in-one');
  const pd = new pai.Dingtalk({ DINGTALK_ACCESS_TOKEN: DING_TOKEN, DINGTALK_SECRET: DING_SECRET });
  pd.webhook = `${base}/robot/send`;
  const paiName = 'push-all-in-one@4.5.2';
  await record(paiName + ' Dingtalk', 'text', () => pd.send('告警', '磁盘使用率 95%', { msgtype: 'text' }));
  await record(paiName + ' Dingtalk', 'actionCard', () => pd.send('审批', '请审批本周报告', { msgtype: 'actionCard', actionCard: { singleTitle: '去审批', singleURL: 'https://example.gov.cn/approve' } }));

  // Its WeCom robot posts to a fixed host: rewrite scheme and host only.
  const axiosPath = require.resolve('axios', { paths: [path.dirname(need.resolve('push-all-in-one'))] });
  const axios = require(axiosPath);
  axios.interceptors.request.use((cfg) => {
    cfg.url = cfg.url.replace('https://qyapi.weixin.qq.com', base);
    return cfg;
  });
  const wr = new pai.WechatRobot({ WECHAT_ROBOT_KEY: WECOM_KEY });
  const wname = paiName + ' WechatRobot';
  await record(wname, 'text', () => wr.send('值班提醒', '今晚值班：王主任，电话 021-6234 5678', { msgtype: 'text', text: { content: '值班提醒\n今晚值班：王主任', mentioned_list: ['wangqing', '@all'] } }));
  await record(wname, 'markdown', () => wr.send('实时新增用户反馈', '<font color="warning">132例</font>，请相关同事注意。\n> 类型:<font color="comment">用户反馈</font>', { msgtype: 'markdown' }));
  await record(wname, 'news', () => wr.send('', '', { msgtype: 'news', news: { articles: [{ title: '中秋节礼品领取', description: '今年中秋节公司有豪礼相送', url: 'https://example.gov.cn/news/1', picurl: 'https://example.gov.cn/p/1.png' }] } }));
  await record(wname, 'image', () => wr.send('', '', { msgtype: 'image', image: { base64: pngB64, md5: pngMD5 } }));

  server.close();
  for (const r of recorded) {
    const name = `${r.client.replace(/[@ ]/g, '_')}.${r.call}.json`;
    fs.writeFileSync(path.join(out, name), JSON.stringify(r, null, 2) + '\n');
    console.log('recorded', name);
  }
});
