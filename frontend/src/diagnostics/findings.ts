// Chinese text for the findings of app/diag, keyed by the check's code (see
// docs/diagnostics.md). Go writes each reason and fix in English, and that
// English is the text in every other language and the fallback for a code
// missing here. {{key}} is replaced by the check's detail of that name; a
// finding whose detail is missing is shown in English instead, so no fact
// is lost. The English original stays visible next to a translation.
import type { ui } from "../bridge";

interface Finding {
  reason: string;
  /** Missing where Go's fix depends on the error, so the English fix is shown. */
  fix?: string;
}

const serialPortFindings: Record<string, Finding> = {
  "serial.port.fail.no_port": { reason: "未配置串口", fix: "在配置文件中设置该设备的 port 或 usb_serial" },
  "serial.port.fail.usb_not_found": {
    reason: "找不到配置的 USB 串口转换器",
    fix: "插上 USB 串口转换器，或改正该设备的 usb_serial",
  },
  "serial.port.fail.missing": {
    reason: "串口 {{path}} 不存在",
    fix: "检查线缆和 USB 串口转换器，或把该设备的 port 改为设备所在的串口（ls /dev/serial/by-id/）",
  },
  "serial.port.fail.held": { reason: "串口 {{path}} 被其他程序占用", fix: "关闭占用该串口的程序后重新诊断" },
  "serial.port.fail.stale_exclusive": {
    reason: "串口 {{path}} 仍带有已退出程序留下的独占标记，只有设备模拟器打开着它",
    fix: "重启设备模拟器（permitdesk sim）以清除该标记，无需关闭其他程序",
  },
  "serial.port.fail.no_permission": {
    reason: "没有打开 {{path}} 的权限",
    fix: "把工作站用户加入 dialout 组（usermod -aG dialout 用户名）后重新登录",
  },
  "serial.port.fail.gone": { reason: "串口 {{path}} 已断开", fix: "检查线缆和 USB 串口转换器" },
  "serial.port.fail.open_failed": { reason: "打开 {{path}} 失败", fix: "检查线缆和 USB 串口转换器" },
};

const readerFindings: Record<string, Finding> = {
  "reader.reader.pass": { reason: "已找到读卡器：{{reader}}" },
  "reader.reader.fail.not_found": {
    reason: "没有名称包含所配置名称的 PC/SC 读卡器",
    fix: "连接读卡器并检查 USB 线，或把配置中的读卡器名称改为已列出名称的一部分",
  },
  "reader.reader.fail.no_pcsc": {
    reason: "无法列出读卡器",
    fix: "启动 PC/SC 服务：systemctl start pcscd.socket，未使用 systemd 时运行 pcscd，然后重新诊断",
  },
  "reader.card.pass": { reason: "卡片在位，协议 {{protocol}}" },
  "reader.card.fail.connect_failed": { reason: "连接卡片失败", fix: "取出卡片后重新放入；仍然失败时换一张卡" },
  "psam.card.fail.no_psam": { reason: "密钥卡读卡器中没有 PSAM 卡", fix: "把本工作站的 PSAM 卡插入密钥卡读卡器" },
  "reader.atr.pass": { reason: "ATR {{atr}}，协议 {{protocols}}" },
  "reader.atr.warn": { reason: "ATR 校验字节（TCK）错误", fix: "取出卡片后重新放入；反复出现时更换卡片" },
  "reader.atr.fail": {
    reason: "ATR 无法解码",
    fix: "取出卡片后重新放入以复位卡片；一直返回该 ATR 的卡片已损坏",
  },
  "reader.extended.pass.supported": { reason: "扩展长度 APDU 可用" },
  "reader.extended.pass.short_only": { reason: "不支持扩展长度 APDU，也未配置使用，使用短 APDU" },
  "reader.extended.fail.not_supported": {
    reason: "已配置扩展长度 APDU，但卡片或读卡器返回 {{sw}}",
    fix: "把该读卡器的 extended 设为 false，或换用支持扩展长度的读卡器和卡片",
  },
  "reader.extended.fail.transmit_failed": {
    reason: "扩展长度的 GET CHALLENGE 失败",
    fix: "让卡片在读卡器上保持不动，再次运行检查",
  },
  "reader.extended.fail.malformed": { reason: "GET CHALLENGE 的响应格式错误", fix: "换一张卡再试" },
  "reader.rtt.pass": { reason: "{{command}} 返回 {{sw}}，耗时 {{rtt_ms}} 毫秒" },
  "reader.rtt.warn": {
    reason: "{{command}} 耗时 {{rtt_ms}} 毫秒，响应偏慢",
    fix: "把读卡器直接接到电脑上，不经过 USB 集线器，并检查线缆",
  },
  "reader.rtt.fail": { reason: "{{command}} 失败", fix: "让卡片在读卡器上保持不动，再次运行检查" },
  "psam.keys.pass": { reason: "已装载密钥的槽位：{{slots}}" },
  "psam.keys.fail.select_failed": { reason: "选择 PSAM 应用失败", fix: "重新插入 PSAM 卡" },
  "psam.keys.fail.not_psam": { reason: "该卡不是居住证密钥卡", fix: "把本工作站的 PSAM 卡插入密钥卡读卡器" },
  "psam.keys.fail.probe_failed": { reason: "探测密钥槽失败", fix: "重新插入 PSAM 卡" },
  "psam.keys.fail.no_auth_key": {
    reason: "PSAM 的 01 号槽中没有卡片认证主密钥",
    fix: "插入本工作站的正式 PSAM；这张密钥卡不能用于居住证卡片",
  },
};

const table: Record<string, Finding> = {
  ...serialPortFindings,
  ...readerFindings,
  "skip.not_configured": { reason: "未配置：在配置文件中设置该设备后启用" },
  "skip.prerequisite": { reason: "未运行：该设备前面的检查未通过" },
  "skip.no_card": { reason: "读卡器上没有卡片，芯片检查未运行；放上卡片后重新检测" },
  "skip.same_reader": { reason: "与制卡读写器是同一台读卡器，见制卡读写器的检查项" },
  "skip.offline_only": { reason: "仅离线工作站：未设置 central.url" },
  "skip.no_database": { reason: "没有数据库" },
  "storage.backups.skip.no_folder": { reason: "没有备份文件夹；permitdesk db backup 会创建它" },

  "pcscd.service.pass": { reason: "pcscd 正常响应，读卡器：{{readers}}" },
  "pcscd.service.fail.not_running": {
    reason: "PC/SC 服务（pcscd）未运行",
    fix: "启动 PC/SC 服务：systemctl start pcscd.socket，未使用 systemd 时运行 pcscd，然后重新诊断",
  },
  "pcscd.service.fail.list_failed": {
    reason: "列出 PC/SC 读卡器失败",
    fix: "启动 PC/SC 服务：systemctl start pcscd.socket，未使用 systemd 时运行 pcscd，然后重新诊断",
  },

  "printer.port.pass": { reason: "打印机在 {{path}} 上正常响应" },
  "printer.port.fail.no_answer": {
    reason: "{{path}} 上的打印机没有响应",
    fix: "打开打印机电源，检查线缆，并核对 devices.printer.baud 与打印机的设置一致",
  },
  "printer.identity.pass": { reason: "{{model}}，序列号 {{serial}}，固件 {{firmware}}" },
  "printer.identity.fail": { reason: "读取打印机状态失败" },
  "printer.sensors.pass": { reason: "盖板已关闭，进卡盒有卡，机内无卡" },
  "printer.sensors.fail": { reason: "打印机盖板打开", fix: "关上打印机盖板" },
  "printer.sensors.warn.card_inside": {
    reason: "打印机内留有一张卡（{{position}}）",
    fix: "在“队列”中完成或恢复该卡所属的任务；没有任务的卡会在任务恢复时送入废卡盒",
  },
  "printer.sensors.warn.feeder_empty": { reason: "进卡盒已空", fix: "在进卡盒中装入空白居住证卡" },
  "printer.counters.pass": { reason: "已进卡 {{cards_inserted}} 张，已打印 {{panels_printed}} 面" },
  "printer.ribbon.pass": { reason: "色带剩余 {{ribbon_left}} 面" },
  "printer.ribbon.warn.low": { reason: "色带仅剩 {{ribbon_left}} 面", fix: "准备一卷新的单色色带" },
  "printer.ribbon.warn.not_number": {
    reason: "打印机返回的色带剩余数不是数字",
    fix: "用打印机厂家的工具检查色带型号",
  },
  "printer.ribbon.fail.used_up": { reason: "色带已用完", fix: "换上新的单色色带" },
  "printer.ribbon.fail.read_failed": { reason: "读取色带计数失败" },
  "printer.cleaning.pass": { reason: "无需清洁" },
  "printer.cleaning.warn": {
    reason: "打印机提示需要清洁",
    fix: "用清洁卡清洁打印机（清洁套件，打印机指令 Scp）",
  },
  "printer.cleaning.fail": { reason: "读取清洁状态失败" },
  "printer.test_card.pass": { reason: "测试卡已打印并送到出卡盒" },
  "printer.test_card.fail.render_failed": { reason: "生成测试图案失败" },
  "printer.test_card.fail.feed_failed": { reason: "进卡失败" },
  "printer.test_card.fail.print_failed": { reason: "打印测试卡失败" },
  "printer.test_card.fail.eject_failed": { reason: "出卡失败" },

  "rewriter.port.pass": { reason: "改写机在 {{path}} 上正常响应" },
  "rewriter.port.fail.no_answer": {
    reason: "{{path}} 上的改写机没有响应",
    fix: "打开改写机电源，检查线缆，并核对 devices.rewriter.baud 与改写机的设置一致",
  },
  "rewriter.identity.pass": { reason: "ROM 版本 {{rom}}" },
  "rewriter.sensors.pass": { reason: "盖板已关闭，卡位：{{card}}" },
  "rewriter.sensors.fail.cover_open": { reason: "改写机盖板打开", fix: "关上改写机盖板" },
  "rewriter.sensors.fail.read_failed": { reason: "读取传感器失败", fix: "关闭改写机再打开，然后重新诊断" },
  "rewriter.sensors.warn": { reason: "处理完的卡片停在前出口", fix: "取走卡片" },
  "rewriter.erase_test.pass": { reason: "改写条已擦除，卡片已从前出口送出" },
  "rewriter.erase_test.fail.sensors_failed": { reason: "读取传感器失败" },
  "rewriter.erase_test.fail.no_card": {
    reason: "改写机入口没有卡片",
    fix: "把带可擦写条的卡插入入口，再运行测试",
  },
  "rewriter.erase_test.fail.erase_failed": {
    reason: "擦除改写条失败",
    fix: "取出卡片，检查盖板和卡片方向后重试",
  },

  "idreader.port.pass.serial": { reason: "已打开端口 {{path}}" },
  "idreader.port.pass.usb": { reason: "已找到 {{usb_id}} {{product}}" },
  "idreader.port.fail.not_found": { reason: "未找到身份证阅读器" },
  "idreader.port.fail.config_invalid": { reason: "身份证阅读器的配置无效", fix: "改正配置中的 devices.idreader.hid" },
  "idreader.sam.pass": { reason: "SAM 自检通过，SAM 编号 {{sam_id}}" },
  "idreader.sam.fail.self_check": { reason: "SAM 自检失败" },
  "idreader.sam.fail.sam_id": { reason: "读取 SAM 编号失败" },
  "idreader.sam.fail.open_failed": {
    reason: "打开身份证阅读器失败",
    fix: "关闭其他使用身份证阅读器的程序，或重新插拔阅读器",
  },
  "idreader.test_read.pass": { reason: "已读取身份证：{{id_number}}" },
  "idreader.test_read.fail.read_failed": { reason: "读取身份证失败" },

  "scanner.device.pass.usb": { reason: "已找到 {{usb_id}} {{product}}" },
  "scanner.device.fail.not_found": { reason: "未找到条码扫描枪" },
  "scanner.device.fail.config_invalid": { reason: "扫描枪的配置无效", fix: "改正配置中的 devices.scanner" },
  "scanner.test_scan.pass": { reason: "已扫到 {{symbology}} 条码，{{bytes}} 字节" },
  "scanner.test_scan.fail.not_configured": {
    reason: "未配置扫描枪",
    fix: "设置 devices.scanner.vendor_id 和 product_id",
  },
  "scanner.test_scan.fail.open_failed": {
    reason: "打开扫描枪失败",
    fix: "关闭其他使用扫描枪的程序，或重新插拔扫描枪",
  },
  "scanner.test_scan.fail.no_scan": {
    reason: "测试期间没有收到扫码",
    fix: "在测试进行时扫描一个条码；扫描枪有提示音却没有数据时，用厂家的设置条码把它设为 HID POS 模式",
  },

  "central.certificates.pass": {
    reason: "CA 证书还有 {{ca_days_left}} 天到期，工作站证书还有 {{station_days_left}} 天到期",
  },
  "central.certificates.warn.expiring": {
    reason: "证书即将到期",
    fix: "请中心系统管理员签发新证书并安装",
  },
  "central.certificates.fail.expired": { reason: "证书已过期", fix: "请中心系统管理员签发新证书并安装" },
  "central.certificates.fail.read_failed": { reason: "读取证书失败" },
  "central.tls.pass": { reason: "与 {{host}} 的 {{version}} 握手耗时 {{handshake_ms}} 毫秒" },
  "central.tls.fail.config": {
    reason: "中心系统的连接配置无效",
    fix: "检查 central.url、central.ca_file、central.cert_file 和 central.key_file",
  },
  "central.tls.fail.handshake_failed": { reason: "与中心系统的 TLS 握手失败" },
  "central.tls.warn.expiring": { reason: "中心系统的服务器证书即将到期", fix: "请中心系统管理员更换服务器证书" },
  "central.tls.fail.expired": { reason: "中心系统的服务器证书已过期", fix: "请中心系统管理员更换服务器证书" },
  "central.latency.pass": { reason: "中心系统响应耗时 {{latency_ms}} 毫秒" },
  "central.latency.warn": {
    reason: "中心系统响应偏慢：{{latency_ms}} 毫秒",
    fix: "检查网络；同步和在线核验会变慢",
  },
  "central.latency.fail.client_failed": { reason: "创建中心系统接口客户端失败", fix: "检查配置中的 [central] 部分" },
  "central.latency.fail.request_failed": { reason: "向中心系统请求时间失败" },
  "central.clock.pass": { reason: "与中心系统的时钟相差 {{skew_ms}} 毫秒" },
  "central.clock.warn": {
    reason: "本机时钟与中心系统相差 {{skew_ms}} 毫秒",
    fix: "校准本机时钟：启用 NTP（timedatectl set-ntp true）或手动设置时间",
  },
  "central.clock.fail": {
    reason: "本机时钟与中心系统相差 {{skew_ms}} 毫秒",
    fix: "校准本机时钟：启用 NTP（timedatectl set-ntp true）或手动设置时间",
  },
  "central.last_sync.pass": { reason: "最近一次成功同步：{{last_success}}" },
  "central.last_sync.warn.never": {
    reason: "本工作站从未与中心系统同步",
    fix: "查看上面的中心系统检查项；工作站可以离线工作，连接恢复后会上传记录",
  },
  "central.last_sync.warn.offline": {
    reason: "自 {{offline_since}} 起与中心系统断开",
    fix: "查看上面的中心系统检查项；工作站可以离线工作，连接恢复后会上传记录",
  },
  "central.last_sync.warn.stale": {
    reason: "最近一次成功同步在 {{last_success}}",
    fix: "确认 permitdesk 程序正在运行，它会在后台同步",
  },
  "central.last_sync.fail": { reason: "读取同步状态失败", fix: "查看本机数据库的检查项" },

  "storage.integrity.pass": { reason: "{{pragma}} 未发现问题" },
  "storage.integrity.warn": { reason: "数据库文件不存在", fix: "先启动一次 permitdesk 以创建数据库，或检查 data_dir" },
  "storage.integrity.fail.stat_failed": { reason: "读取数据库文件失败", fix: "检查 data_dir 的权限" },
  "storage.integrity.fail.open_failed": { reason: "打开数据库失败" },
  "storage.integrity.fail.check_failed": { reason: "{{pragma}} 运行失败" },
  "storage.integrity.fail.problems": { reason: "{{pragma}} 发现问题：{{problems}}" },
  "storage.size.pass": { reason: "数据库文件 {{file_bytes}} 字节，共 {{pages}} 页，其中 {{free_pages}} 页空闲" },
  "storage.size.fail": { reason: "读取数据库页数失败" },
  "storage.wal.pass.none": { reason: "没有预写日志：数据库已完成检查点" },
  "storage.wal.pass.size": { reason: "预写日志 {{wal_bytes}} 字节" },
  "storage.wal.warn": {
    reason: "预写日志过大：{{wal_bytes}} 字节",
    fix: "重启 permitdesk：有长时间运行的读操作阻止了检查点",
  },
  "storage.backups.pass": { reason: "最新备份 {{newest}}，{{age_hours}} 小时前" },
  "storage.backups.warn.none": { reason: "没有备份", fix: "用 permitdesk db backup 备份数据库" },
  "storage.backups.warn.stale": {
    reason: "最新备份 {{newest}} 是 {{age_hours}} 小时前的",
    fix: "用 permitdesk db backup 备份数据库，并设为每天执行",
  },
};

/** Chinese for detail values that Go writes as English words. */
const detailValues: Record<string, Record<string, string>> = {
  card: { "card at inlet": "入口有卡", "card waiting for removal": "卡片待取出", "no card": "无卡" },
  cover: { open: "打开", closed: "关闭" },
  feeder: { empty: "空", loaded: "有卡" },
};

const readerRoles = ["encoder", "desk_reader", "psam"];
const serialDevices = ["printer", "rewriter", "idreader"];

/** Returns the table keys to try for a code, most specific first. */
export function findingKeys(code: string): string[] {
  const parts = code.split(".");
  const keys = [code];
  if (parts.length >= 3 && readerRoles.includes(parts[0])) {
    keys.push(["reader", ...parts.slice(1)].join("."));
  }
  if (parts.length >= 3 && serialDevices.includes(parts[0]) && parts[1] === "port") {
    keys.push(["serial", ...parts.slice(1)].join("."));
  }
  if (parts.length === 4 && parts[2] === "skip") {
    keys.push(`skip.${parts[3]}`);
  }
  return keys;
}

/** Fills {{key}} from details, or returns null when a detail is missing. */
function fill(template: string, details: Record<string, string>): string | null {
  let missing = false;
  const text = template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = details[key];
    if (value === undefined || value === "") {
      missing = true;
      return "";
    }
    return detailValues[key]?.[value] ?? value;
  });
  return missing ? null : text;
}

/** A check's reason and fix to show, and whether they were translated. */
export interface FindingText {
  reason: string;
  fix: string;
  translated: boolean;
}

/**
 * Returns the Chinese reason and fix of a check when the table has its
 * code and the check has every detail the text needs, else Go's English.
 * A translated reason keeps Go's English fix when the table has none.
 */
export function findingText(check: ui.DiagnosticCheck, language: string): FindingText {
  const english = { reason: check.reason, fix: check.fix, translated: false };
  if (language !== "zh-CN" || !check.code) {
    return english;
  }
  const key = findingKeys(check.code).find((k) => k in table);
  if (!key) {
    return english;
  }
  const finding = table[key];
  const reason = fill(finding.reason, check.details ?? {});
  if (reason === null) {
    return english;
  }
  const fix = finding.fix !== undefined ? fill(finding.fix, check.details ?? {}) : null;
  return { reason, fix: fix ?? check.fix, translated: true };
}

const swMeanings: Record<string, string> = {
  "9000": "成功",
  "6281": "返回的数据可能已损坏",
  "6282": "读到 Le 字节之前已到文件末尾",
  "6400": "执行出错，状态未变",
  "6581": "存储器（EEPROM）写入失败",
  "6700": "长度错误",
  "6900": "CLA 不符合线路保护要求",
  "6981": "命令与文件结构不兼容",
  "6982": "安全状态不满足（需先认证）",
  "6983": "认证密钥已锁定",
  "6985": "使用条件不满足",
  "6987": "缺少安全报文数据",
  "6988": "安全报文数据不正确",
  "6A80": "数据域不正确",
  "6A81": "功能不支持、没有 MF 或卡片已锁定",
  "6A82": "文件或应用未找到",
  "6A83": "记录未找到",
  "6A84": "文件空间不足",
  "6A86": "P1 或 P2 不正确",
  "6A88": "引用的密钥或数据未找到",
  "6B00": "偏移量超出文件末尾",
  "6D00": "指令不支持",
  "6E00": "类不支持",
  "6F00": "无精确诊断",
  "9302": "MAC 无效",
  "9303": "应用已永久锁定",
  "9401": "余额不足",
  "9403": "密钥未找到",
  "9406": "所需 MAC 不可用",
};

/**
 * Returns the Chinese meaning of a status word as app/diag decodes it
 * (ISO/IEC 7816-4 and FMCOS), or null for one not in the table.
 */
export function swMeaningZh(sw: string): string | null {
  const word = sw.toUpperCase();
  if (word in swMeanings) {
    return swMeanings[word];
  }
  const sw2 = parseInt(word.slice(2), 16);
  if (word.startsWith("61")) {
    return `还有 ${sw2 === 0 ? 256 : sw2} 字节响应数据（GET RESPONSE）`;
  }
  if (word.startsWith("6C")) {
    return `Le 错误：请用 Le = ${sw2 === 0 ? 256 : sw2} 重发命令`;
  }
  if (word.startsWith("63C")) {
    return `校验失败，还可重试 ${sw2 & 0x0f} 次`;
  }
  return null;
}

/** Codes of the table, for tests. */
export const findingCodes = Object.keys(table);
