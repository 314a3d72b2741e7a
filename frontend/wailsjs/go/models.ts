export namespace ui {
	
	export class APDUCommand {
	    reader: string;
	    hex: string;
	    confirm: boolean;
	    raw: boolean;
	
	    static createFrom(source: any = {}) {
	        return new APDUCommand(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.reader = source["reader"];
	        this.hex = source["hex"];
	        this.confirm = source["confirm"];
	        this.raw = source["raw"];
	    }
	}
	export class APDUResponse {
	    reader: string;
	    command: string;
	    data: string;
	    sw: string;
	    meaning: string;
	    changes: boolean;
	    durationMs: number;
	
	    static createFrom(source: any = {}) {
	        return new APDUResponse(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.reader = source["reader"];
	        this.command = source["command"];
	        this.data = source["data"];
	        this.sw = source["sw"];
	        this.meaning = source["meaning"];
	        this.changes = source["changes"];
	        this.durationMs = source["durationMs"];
	    }
	}
	export class ApplicationView {
	    id: string;
	    permitNumber: string;
	    name: string;
	    sex: string;
	    ethnicity: string;
	    birthDate: string;
	    idNumber: string;
	    address: string;
	    houseCode: string;
	    authority: string;
	    validFrom: string;
	    validTo: string;
	    approvedAt: string;
	    photo: string;
	
	    static createFrom(source: any = {}) {
	        return new ApplicationView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.permitNumber = source["permitNumber"];
	        this.name = source["name"];
	        this.sex = source["sex"];
	        this.ethnicity = source["ethnicity"];
	        this.birthDate = source["birthDate"];
	        this.idNumber = source["idNumber"];
	        this.address = source["address"];
	        this.houseCode = source["houseCode"];
	        this.authority = source["authority"];
	        this.validFrom = source["validFrom"];
	        this.validTo = source["validTo"];
	        this.approvedAt = source["approvedAt"];
	        this.photo = source["photo"];
	    }
	}
	export class BuildInfo {
	    version: string;
	    commit: string;
	    date: string;
	
	    static createFrom(source: any = {}) {
	        return new BuildInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.commit = source["commit"];
	        this.date = source["date"];
	    }
	}
	export class CardPreview {
	    front: string;
	    back: string;
	
	    static createFrom(source: any = {}) {
	        return new CardPreview(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.front = source["front"];
	        this.back = source["back"];
	    }
	}
	export class CentralStatus {
	    state: string;
	    url: string;
	    lastSync: string;
	    pending: number;
	    detail: string;
	
	    static createFrom(source: any = {}) {
	        return new CentralStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.state = source["state"];
	        this.url = source["url"];
	        this.lastSync = source["lastSync"];
	        this.pending = source["pending"];
	        this.detail = source["detail"];
	    }
	}
	export class ChartDay {
	    day: string;
	    jobs: number;
	    errors: number;
	
	    static createFrom(source: any = {}) {
	        return new ChartDay(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.day = source["day"];
	        this.jobs = source["jobs"];
	        this.errors = source["errors"];
	    }
	}
	export class DeviceChart {
	    device: string;
	    days: ChartDay[];
	
	    static createFrom(source: any = {}) {
	        return new DeviceChart(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.device = source["device"];
	        this.days = this.convertValues(source["days"], ChartDay);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ChartData {
	    from: string;
	    to: string;
	    devices: DeviceChart[];
	
	    static createFrom(source: any = {}) {
	        return new ChartData(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.from = source["from"];
	        this.to = source["to"];
	        this.devices = this.convertValues(source["devices"], DeviceChart);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	export class DeviceChoice {
	    transport: string;
	    reader: string;
	    port: string;
	    usbSerial: string;
	    vendorId: string;
	    productId: string;
	    serial: string;
	
	    static createFrom(source: any = {}) {
	        return new DeviceChoice(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.transport = source["transport"];
	        this.reader = source["reader"];
	        this.port = source["port"];
	        this.usbSerial = source["usbSerial"];
	        this.vendorId = source["vendorId"];
	        this.productId = source["productId"];
	        this.serial = source["serial"];
	    }
	}
	export class DeviceSlotView {
	    slot: string;
	    transports: string[];
	    file: string;
	    override: string;
	    setBy: string;
	    setAt: string;
	    current: DeviceChoice;
	
	    static createFrom(source: any = {}) {
	        return new DeviceSlotView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.slot = source["slot"];
	        this.transports = source["transports"];
	        this.file = source["file"];
	        this.override = source["override"];
	        this.setBy = source["setBy"];
	        this.setAt = source["setAt"];
	        this.current = this.convertValues(source["current"], DeviceChoice);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class DeviceSettingsView {
	    slots: DeviceSlotView[];
	    assignable: boolean;
	    restartNeeded: string[];
	    problem: string;
	
	    static createFrom(source: any = {}) {
	        return new DeviceSettingsView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.slots = this.convertValues(source["slots"], DeviceSlotView);
	        this.assignable = source["assignable"];
	        this.restartNeeded = source["restartNeeded"];
	        this.problem = source["problem"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class DeviceStatus {
	    id: string;
	    kind: string;
	    name: string;
	    state: string;
	    detail: string;
	
	    static createFrom(source: any = {}) {
	        return new DeviceStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.name = source["name"];
	        this.state = source["state"];
	        this.detail = source["detail"];
	    }
	}
	export class DiagnosticActionRequest {
	    action: string;
	    confirm: boolean;
	    timeoutMs: number;
	
	    static createFrom(source: any = {}) {
	        return new DiagnosticActionRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.action = source["action"];
	        this.confirm = source["confirm"];
	        this.timeoutMs = source["timeoutMs"];
	    }
	}
	export class DiagnosticCheck {
	    id: string;
	    code: string;
	    device: string;
	    status: string;
	    reason: string;
	    fix: string;
	    details: {[key: string]: string};
	    durationMs: number;
	
	    static createFrom(source: any = {}) {
	        return new DiagnosticCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.code = source["code"];
	        this.device = source["device"];
	        this.status = source["status"];
	        this.reason = source["reason"];
	        this.fix = source["fix"];
	        this.details = source["details"];
	        this.durationMs = source["durationMs"];
	    }
	}
	export class DiagnosticsReport {
	    startedAt: string;
	    status: string;
	    pass: number;
	    warn: number;
	    fail: number;
	    skip: number;
	    checks: DiagnosticCheck[];
	
	    static createFrom(source: any = {}) {
	        return new DiagnosticsReport(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.startedAt = source["startedAt"];
	        this.status = source["status"];
	        this.pass = source["pass"];
	        this.warn = source["warn"];
	        this.fail = source["fail"];
	        this.skip = source["skip"];
	        this.checks = this.convertValues(source["checks"], DiagnosticCheck);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class FoundHIDDevice {
	    path: string;
	    vendorId: string;
	    productId: string;
	    serial: string;
	    manufacturer: string;
	    product: string;
	
	    static createFrom(source: any = {}) {
	        return new FoundHIDDevice(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.vendorId = source["vendorId"];
	        this.productId = source["productId"];
	        this.serial = source["serial"];
	        this.manufacturer = source["manufacturer"];
	        this.product = source["product"];
	    }
	}
	export class FoundSerialPort {
	    path: string;
	    device: string;
	    usb: boolean;
	    vendorId: string;
	    productId: string;
	    serialNumber: string;
	    product: string;
	
	    static createFrom(source: any = {}) {
	        return new FoundSerialPort(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.device = source["device"];
	        this.usb = source["usb"];
	        this.vendorId = source["vendorId"];
	        this.productId = source["productId"];
	        this.serialNumber = source["serialNumber"];
	        this.product = source["product"];
	    }
	}
	export class FoundDevicesView {
	    readers: string[];
	    serialPorts: FoundSerialPort[];
	    hid: FoundHIDDevice[];
	    readersError: string;
	    serialError: string;
	    hidError: string;
	
	    static createFrom(source: any = {}) {
	        return new FoundDevicesView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.readers = source["readers"];
	        this.serialPorts = this.convertValues(source["serialPorts"], FoundSerialPort);
	        this.hid = this.convertValues(source["hid"], FoundHIDDevice);
	        this.readersError = source["readersError"];
	        this.serialError = source["serialError"];
	        this.hidError = source["hidError"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	export class HouseCodeView {
	    houseCode: string;
	    district: string;
	    street: string;
	    community: string;
	    detail: string;
	    line: string;
	    retired: boolean;
	    online: boolean;
	    asOf: string;
	
	    static createFrom(source: any = {}) {
	        return new HouseCodeView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.houseCode = source["houseCode"];
	        this.district = source["district"];
	        this.street = source["street"];
	        this.community = source["community"];
	        this.detail = source["detail"];
	        this.line = source["line"];
	        this.retired = source["retired"];
	        this.online = source["online"];
	        this.asOf = source["asOf"];
	    }
	}
	export class IdentityMismatch {
	    field: string;
	    card: string;
	    application: string;
	
	    static createFrom(source: any = {}) {
	        return new IdentityMismatch(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.field = source["field"];
	        this.card = source["card"];
	        this.application = source["application"];
	    }
	}
	export class IdentityView {
	    name: string;
	    sex: string;
	    idNumber: string;
	    birthDate: string;
	    address: string;
	    authority: string;
	    validTo: string;
	    longTerm: boolean;
	    expired: boolean;
	
	    static createFrom(source: any = {}) {
	        return new IdentityView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.sex = source["sex"];
	        this.idNumber = source["idNumber"];
	        this.birthDate = source["birthDate"];
	        this.address = source["address"];
	        this.authority = source["authority"];
	        this.validTo = source["validTo"];
	        this.longTerm = source["longTerm"];
	        this.expired = source["expired"];
	    }
	}
	export class JobFilter {
	    states: string[];
	    limit: number;
	
	    static createFrom(source: any = {}) {
	        return new JobFilter(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.states = source["states"];
	        this.limit = source["limit"];
	    }
	}
	export class JobProgress {
	    jobId: number;
	    state: string;
	    step: string;
	    percent: number;
	    message: string;
	    at: string;
	    code: string;
	    advice: string;
	
	    static createFrom(source: any = {}) {
	        return new JobProgress(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.jobId = source["jobId"];
	        this.state = source["state"];
	        this.step = source["step"];
	        this.percent = source["percent"];
	        this.message = source["message"];
	        this.at = source["at"];
	        this.code = source["code"];
	        this.advice = source["advice"];
	    }
	}
	export class JobView {
	    id: number;
	    applicationId: string;
	    permitNumber: string;
	    kind: string;
	    state: string;
	    percent: number;
	    attempt: number;
	    printer: string;
	    attentionFrom: string;
	    attention: string;
	    advice: string;
	    cardSerial: string;
	    choices: string[];
	    createdAt: string;
	    updatedAt: string;
	
	    static createFrom(source: any = {}) {
	        return new JobView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.applicationId = source["applicationId"];
	        this.permitNumber = source["permitNumber"];
	        this.kind = source["kind"];
	        this.state = source["state"];
	        this.percent = source["percent"];
	        this.attempt = source["attempt"];
	        this.printer = source["printer"];
	        this.attentionFrom = source["attentionFrom"];
	        this.attention = source["attention"];
	        this.advice = source["advice"];
	        this.cardSerial = source["cardSerial"];
	        this.choices = source["choices"];
	        this.createdAt = source["createdAt"];
	        this.updatedAt = source["updatedAt"];
	    }
	}
	export class LotView {
	    number: string;
	    received: number;
	    receivedAt: string;
	    adjusted: number;
	    taken: number;
	    onHand: number;
	
	    static createFrom(source: any = {}) {
	        return new LotView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.number = source["number"];
	        this.received = source["received"];
	        this.receivedAt = source["receivedAt"];
	        this.adjusted = source["adjusted"];
	        this.taken = source["taken"];
	        this.onHand = source["onHand"];
	    }
	}
	export class OperatorStatus {
	    loggedIn: boolean;
	    login: string;
	    name: string;
	    role: string;
	
	    static createFrom(source: any = {}) {
	        return new OperatorStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.loggedIn = source["loggedIn"];
	        this.login = source["login"];
	        this.name = source["name"];
	        this.role = source["role"];
	    }
	}
	export class PrinterCommand {
	    command: string;
	    confirm: boolean;
	
	    static createFrom(source: any = {}) {
	        return new PrinterCommand(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.command = source["command"];
	        this.confirm = source["confirm"];
	    }
	}
	export class PrinterReply {
	    command: string;
	    reply: string;
	    error: string;
	    code: string;
	    changes: boolean;
	    durationMs: number;
	
	    static createFrom(source: any = {}) {
	        return new PrinterReply(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.command = source["command"];
	        this.reply = source["reply"];
	        this.error = source["error"];
	        this.code = source["code"];
	        this.changes = source["changes"];
	        this.durationMs = source["durationMs"];
	    }
	}
	export class RewriteAddressView {
	    houseCode: string;
	    district: string;
	    street: string;
	    community: string;
	    detail: string;
	    line: string;
	
	    static createFrom(source: any = {}) {
	        return new RewriteAddressView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.houseCode = source["houseCode"];
	        this.district = source["district"];
	        this.street = source["street"];
	        this.community = source["community"];
	        this.detail = source["detail"];
	        this.line = source["line"];
	    }
	}
	export class RewriteProgressView {
	    jobId: number;
	    state: string;
	    step: string;
	    percent: number;
	    message: string;
	    at: string;
	
	    static createFrom(source: any = {}) {
	        return new RewriteProgressView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.jobId = source["jobId"];
	        this.state = source["state"];
	        this.step = source["step"];
	        this.percent = source["percent"];
	        this.message = source["message"];
	        this.at = source["at"];
	    }
	}
	export class RewriteJobView {
	    id: number;
	    cardSerial: string;
	    permitNumber: string;
	    holderName: string;
	    oldAddress: RewriteAddressView;
	    newAddress: RewriteAddressView;
	    oldSequence: number;
	    newSequence: number;
	    state: string;
	    attentionFrom: string;
	    attention: string;
	    choices: string[];
	    lookupOnline: boolean;
	    stripPrints: number;
	    createdAt: string;
	    updatedAt: string;
	    progress?: RewriteProgressView;
	
	    static createFrom(source: any = {}) {
	        return new RewriteJobView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.cardSerial = source["cardSerial"];
	        this.permitNumber = source["permitNumber"];
	        this.holderName = source["holderName"];
	        this.oldAddress = this.convertValues(source["oldAddress"], RewriteAddressView);
	        this.newAddress = this.convertValues(source["newAddress"], RewriteAddressView);
	        this.oldSequence = source["oldSequence"];
	        this.newSequence = source["newSequence"];
	        this.state = source["state"];
	        this.attentionFrom = source["attentionFrom"];
	        this.attention = source["attention"];
	        this.choices = source["choices"];
	        this.lookupOnline = source["lookupOnline"];
	        this.stripPrints = source["stripPrints"];
	        this.createdAt = source["createdAt"];
	        this.updatedAt = source["updatedAt"];
	        this.progress = this.convertValues(source["progress"], RewriteProgressView);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RewriteHistoryView {
	    sequence: number;
	    changedOn: string;
	    address: RewriteAddressView;
	
	    static createFrom(source: any = {}) {
	        return new RewriteHistoryView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.sequence = source["sequence"];
	        this.changedOn = source["changedOn"];
	        this.address = this.convertValues(source["address"], RewriteAddressView);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RewriteCardView {
	    serial: string;
	    chipState: string;
	    holderName: string;
	    holderSex: string;
	    birthDate: string;
	    idNumber: string;
	    permitNumber: string;
	    stationId: string;
	    validFrom: string;
	    validTo: string;
	    address: RewriteAddressView;
	    sequence: number;
	    history: RewriteHistoryView[];
	    photo: string;
	    sealValid: boolean;
	    sealError: string;
	    revoked: boolean;
	    revocationNote: string;
	    revocationOnline: boolean;
	    readError: string;
	    openJob?: RewriteJobView;
	    chipCondition: string;
	
	    static createFrom(source: any = {}) {
	        return new RewriteCardView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.serial = source["serial"];
	        this.chipState = source["chipState"];
	        this.holderName = source["holderName"];
	        this.holderSex = source["holderSex"];
	        this.birthDate = source["birthDate"];
	        this.idNumber = source["idNumber"];
	        this.permitNumber = source["permitNumber"];
	        this.stationId = source["stationId"];
	        this.validFrom = source["validFrom"];
	        this.validTo = source["validTo"];
	        this.address = this.convertValues(source["address"], RewriteAddressView);
	        this.sequence = source["sequence"];
	        this.history = this.convertValues(source["history"], RewriteHistoryView);
	        this.photo = source["photo"];
	        this.sealValid = source["sealValid"];
	        this.sealError = source["sealError"];
	        this.revoked = source["revoked"];
	        this.revocationNote = source["revocationNote"];
	        this.revocationOnline = source["revocationOnline"];
	        this.readError = source["readError"];
	        this.openJob = this.convertValues(source["openJob"], RewriteJobView);
	        this.chipCondition = source["chipCondition"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	
	export class RewritePreviewView {
	    card: RewriteCardView;
	    newAddress: RewriteAddressView;
	    oldStrip: string;
	    newStrip: string;
	    lookupOnline: boolean;
	    lookupAsOf: string;
	
	    static createFrom(source: any = {}) {
	        return new RewritePreviewView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.card = this.convertValues(source["card"], RewriteCardView);
	        this.newAddress = this.convertValues(source["newAddress"], RewriteAddressView);
	        this.oldStrip = source["oldStrip"];
	        this.newStrip = source["newStrip"];
	        this.lookupOnline = source["lookupOnline"];
	        this.lookupAsOf = source["lookupAsOf"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class RewriteReadinessView {
	    ready: boolean;
	    missing: string[];
	    detail: string;
	
	    static createFrom(source: any = {}) {
	        return new RewriteReadinessView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ready = source["ready"];
	        this.missing = source["missing"];
	        this.detail = source["detail"];
	    }
	}
	export class StockStatus {
	    tracked: boolean;
	    onHand: number;
	    low: boolean;
	
	    static createFrom(source: any = {}) {
	        return new StockStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.tracked = source["tracked"];
	        this.onHand = source["onHand"];
	        this.low = source["low"];
	    }
	}
	export class Status {
	    station: string;
	    devices: DeviceStatus[];
	    central: CentralStatus;
	    stock: StockStatus;
	    operator: OperatorStatus;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.station = source["station"];
	        this.devices = this.convertValues(source["devices"], DeviceStatus);
	        this.central = this.convertValues(source["central"], CentralStatus);
	        this.stock = this.convertValues(source["stock"], StockStatus);
	        this.operator = this.convertValues(source["operator"], OperatorStatus);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class SupervisorApproval {
	    login: string;
	    password: string;
	
	    static createFrom(source: any = {}) {
	        return new SupervisorApproval(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.login = source["login"];
	        this.password = source["password"];
	    }
	}
	export class SupportBundle {
	    path: string;
	    bytes: number;
	    files: string[];
	    status: string;
	
	    static createFrom(source: any = {}) {
	        return new SupportBundle(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.bytes = source["bytes"];
	        this.files = source["files"];
	        this.status = source["status"];
	    }
	}
	export class SyncResult {
	    pulled: number;
	    pushed: number;
	
	    static createFrom(source: any = {}) {
	        return new SyncResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.pulled = source["pulled"];
	        this.pushed = source["pushed"];
	    }
	}

}

