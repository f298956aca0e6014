/**
 * Realistic Vietnamese feedback for the benchmark: what citizens of Hai Bà Trưng write on iHaNoi or
 * tell the 1022 hotline, with names, phones and addresses. Deterministic for a seed, so two runs push
 * the same events.
 */
import { seededRandom } from '@fr/domain';

export interface CategoryRef {
  code: string;
  name: string;
}

export interface AreaRef {
  code: string;
  name: string;
}

export interface FeedbackBody {
  externalId: string;
  category: string;
  title?: string;
  description: string;
  location: { address?: string; wardCode?: string };
  citizen?: { name?: string; phone?: string };
}

export interface GeneratedEvent {
  channel: string;
  body: FeedbackBody;
  /** The area the engine should resolve, or null when the location names no ward it knows. */
  expectedArea: string | null;
  /** How the location was written, for the summary. */
  locationKind: 'ward_code' | 'address_only' | 'unknown_ward';
}

/** The domain's seeded generator, so two runs with one seed push the same events. */
export const prng = (seed: number): (() => number) => seededRandom(String(seed));

const stripDiacritics = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .normalize('NFC');

/** Streets of each ward (roughly); several share a name with another ward, as in real addresses. */
const STREETS_BY_WARD: Record<string, string[]> = {
  'Bách Khoa': ['Tạ Quang Bửu', 'Trần Đại Nghĩa', 'Lê Thanh Nghị', 'Đại Cồ Việt'],
  'Bạch Đằng': ['Bạch Đằng', 'Vân Đồn', 'Nguyễn Khoái', 'Trần Khát Chân'],
  'Bạch Mai': ['Bạch Mai', 'Đại Cồ Việt', 'Hồng Mai', 'Quỳnh Lôi'],
  'Cầu Dền': ['Bạch Mai', 'Lê Gia Định', 'Thanh Nhàn', 'Hồng Mai'],
  'Đống Mác': ['Lò Đúc', 'Đống Mác', 'Lãng Yên', 'Nguyễn Cao'],
  'Đồng Nhân': ['Đồng Nhân', 'Hòa Mã', 'Đỗ Ngọc Du', 'Hương Viên'],
  'Đồng Tâm': ['Giải Phóng', 'Trần Đại Nghĩa', 'Đại La', 'Vọng'],
  'Lê Đại Hành': ['Lê Đại Hành', 'Thái Phiên', 'Mai Hắc Đế', 'Tô Hiến Thành'],
  'Minh Khai': ['Minh Khai', 'Kim Ngưu', 'Lạc Trung', 'Hồng Mai'],
  'Nguyễn Du': ['Nguyễn Du', 'Trần Bình Trọng', 'Quang Trung', 'Yết Kiêu'],
  'Phạm Đình Hổ': ['Phạm Đình Hổ', 'Hàn Thuyên', 'Trần Xuân Soạn', 'Ngô Thì Nhậm'],
  'Phố Huế': ['Phố Huế', 'Hàng Chuối', 'Đoàn Trần Nghiệp', 'Trần Nhân Tông'],
  'Quỳnh Lôi': ['Kim Ngưu', 'Bạch Mai', 'Thanh Nhàn', 'Hồng Mai'],
  'Quỳnh Mai': ['Kim Ngưu', 'Lạc Trung', 'Quỳnh Lôi', 'Thanh Nhàn'],
  'Thanh Lương': ['Lạc Trung', 'Nguyễn Khoái', 'Vĩnh Tuy', 'Kim Ngưu'],
  'Thanh Nhàn': ['Thanh Nhàn', 'Trần Khát Chân', 'Kim Ngưu', 'Võ Thị Sáu'],
  'Trương Định': ['Trương Định', 'Đại La', 'Tân Mai', 'Hồng Mai'],
  'Vĩnh Tuy': ['Minh Khai', 'Vĩnh Tuy', 'Lạc Trung', 'Nguyễn Khoái'],
};
const ANY_STREETS = ['Tạ Quang Bửu', 'Lò Đúc', 'Kim Ngưu', 'Trần Khát Chân', 'Lê Thanh Nghị', 'Đại La', 'Hương Viên', 'Thái Phiên'];

/** Wards of Hanoi outside the district: the engine cannot route a ward-bound case to them. */
// Outside the district on today's map: Tương Mai and Hoàng Văn Thụ were neighbours before 1/7/2025
// and are (partly) inside the district's Phường Tương Mai since.
const FOREIGN_WARDS = [
  { code: 'TAY_HO', name: 'Tây Hồ', streets: ['Lạc Long Quân', 'Âu Cơ', 'Xuân Diệu'] },
  { code: 'CAU_GIAY', name: 'Cầu Giấy', streets: ['Trần Duy Hưng', 'Xuân Thủy', 'Cầu Giấy'] },
  { code: 'KIM_LIEN', name: 'Kim Liên', streets: ['Phạm Ngọc Thạch', 'Đông Tác', 'Xã Đàn'] },
  { code: 'VAN_CHUONG', name: 'Văn Chương', streets: ['Tôn Đức Thắng', 'Văn Chương', 'Khâm Thiên'] },
];

const PLACES = [
  'chợ Mơ',
  'chợ Hôm',
  'chợ 19-12',
  'Bệnh viện Bạch Mai',
  'Đại học Bách khoa Hà Nội',
  'công viên Thống Nhất',
  'vườn hoa Chi Lăng',
  'cổng trường Tiểu học Lê Ngọc Hân',
  'nhà văn hóa tổ dân phố',
  'khu tập thể Thanh Nhàn',
  'khu tập thể Kim Liên',
  'Vincom Bà Triệu',
  'bến xe buýt',
  'trụ sở ủy ban phường',
  'hồ Thanh Nhàn',
];
const SCHOOLS = [
  'Tiểu học Lê Ngọc Hân',
  'THCS Ngô Quyền',
  'Tiểu học Tây Sơn',
  'THCS Lê Quý Đôn',
  'Mầm non Hoa Sữa',
  'Tiểu học Bà Triệu',
  'THCS Tô Hoàng',
  'Tiểu học Đoàn Thị Điểm',
  'THCS Vân Hồ',
];
const FOODS = ['bún chả', 'bánh mì', 'phở bò', 'bánh cuốn', 'nem chua rán', 'trà sữa', 'chè', 'xôi', 'bún đậu mắm tôm', 'lẩu dê'];
const GOODS = ['quần áo', 'hoa quả', 'rau củ', 'đồ điện tử cũ', 'hoa tươi', 'cây cảnh', 'đồ gia dụng'];
const PROCEDURES = [
  'cấp giấy chứng nhận quyền sử dụng đất',
  'đăng ký hộ kinh doanh',
  'xác nhận tình trạng hôn nhân',
  'cấp giấy phép xây dựng',
  'đăng ký thường trú',
  'hỗ trợ người có công',
  'xác nhận hộ nghèo',
];
const FEES = ['quỹ phụ huynh 2 triệu đồng', 'tiền điều hòa 500 nghìn đồng', 'tiền sách tham khảo', 'tiền học thêm bắt buộc', 'tiền ủng hộ xây dựng trường'];
const ENDINGS = [
  ' Đề nghị cơ quan chức năng kiểm tra, xử lý dứt điểm.',
  ' Tình trạng này đã kéo dài nhiều tháng nay.',
  ' Người dân đã phản ánh nhiều lần nhưng chưa được giải quyết.',
  ' Kính đề nghị phường sớm vào cuộc.',
  ' Rất mong nhận được phản hồi sớm.',
  ' Tôi gửi kèm ảnh chụp hiện trường qua ứng dụng.',
  '',
  '',
];

type Rand = () => number;
interface Ctx {
  r: Rand;
  street: string;
  /** The street as written in a sentence: "phố Tạ Quang Bửu", "đường Giải Phóng", "Phố Huế". */
  onStreet: string;
  street2: string;
  ward: string;
  num: number;
  lane: number;
  addr: string;
}

const ROADS = new Set(['Giải Phóng', 'Trường Chinh', 'Đại La', 'Minh Khai', 'Kim Ngưu', 'Nguyễn Khoái', 'Vĩnh Tuy', 'Lạc Trung', 'Tam Trinh']);
const onStreet = (street: string) => (street.startsWith('Phố ') ? street : `${ROADS.has(street) ? 'đường' : 'phố'} ${street}`);

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

type Template = { title: (c: Ctx) => string; text: (c: Ctx) => string };

const TEMPLATES: Record<string, Template[]> = {
  sidewalk_encroachment: [
    {
      title: (c) => `Lấn chiếm vỉa hè trên ${c.onStreet}`,
      text: (c) => `Quán nước lấn chiếm vỉa hè trước ${c.addr}, người đi bộ phải đi xuống lòng đường.`,
    },
    {
      title: () => 'Kinh doanh tràn ra vỉa hè',
      text: (c) => `Các hộ kinh doanh ${pick(c.r, GOODS)} bày hàng tràn ra vỉa hè đoạn ${c.onStreet} gần ${pick(c.r, PLACES)}, xe máy dựng kín lối đi.`,
    },
    {
      title: () => 'Trông giữ xe trái phép trên vỉa hè',
      text: (c) =>
        `Bãi trông giữ xe máy tự phát chiếm hết vỉa hè trước ${pick(c.r, PLACES)} trên ${c.onStreet}, thu phí ${pick(c.r, [5, 10, 15, 20])} nghìn đồng/lượt, không có vé.`,
    },
    {
      title: (c) => `Quán ăn lấn chiếm lòng đường ${c.onStreet}`,
      text: (c) =>
        `Quán ${pick(c.r, FOODS)} ở ${c.addr} kê bàn ghế ra cả lòng đường từ ${int(c.r, 5, 7)} giờ tối, ô tô đi qua phải dừng chờ, rất dễ xảy ra va chạm.`,
    },
    {
      title: () => 'Họp chợ tạm trên vỉa hè',
      text: (c) => `Hàng rong họp chợ tạm trên vỉa hè ${c.onStreet} vào buổi sáng, sau khi tan chợ rác thải vứt bừa bãi.`,
    },
  ],
  sanitation: [
    {
      title: (c) => `Rác thải tồn đọng ở ngõ ${c.lane} ${c.street}`,
      text: (c) =>
        `Rác thải sinh hoạt tập kết ở đầu ngõ ${c.lane} ${c.street} đã ${int(c.r, 2, 6)} ngày chưa được thu gom, bốc mùi hôi thối, ruồi muỗi rất nhiều.`,
    },
    {
      title: () => 'Cống thoát nước bị tắc',
      text: (c) => `Cống thoát nước trước ${c.addr} bị tắc, nước thải tràn lên mặt đường mỗi khi trời mưa, người đi bộ không tránh được.`,
    },
    {
      title: () => 'Đổ trộm phế thải xây dựng',
      text: (c) => `Có người đổ trộm phế thải xây dựng ra bãi đất trống cạnh ${pick(c.r, PLACES)} trên ${c.onStreet} vào ban đêm.`,
    },
    {
      title: () => 'Nhà hàng xả nước thải ra rãnh',
      text: (c) => `Nhà hàng ở ${c.addr} xả nước thải và dầu mỡ trực tiếp ra rãnh thoát nước, gây ô nhiễm cho cả khu dân cư.`,
    },
    {
      title: () => 'Xe rác đỗ gây ô nhiễm',
      text: (c) => `Xe thu gom rác đỗ chờ tại ${c.addr} từ ${int(c.r, 3, 5)} giờ chiều đến tối, nước rỉ rác chảy ra đường bốc mùi.`,
    },
  ],
  illegal_construction: [
    {
      title: (c) => `Xây dựng không phép tại ngõ ${c.lane} ${c.street}`,
      text: (c) => `Nhà số ${c.num} ngõ ${c.lane} ${c.street} đang xây thêm tầng ${int(c.r, 4, 7)}, nghi không có giấy phép, thi công cả ban đêm gây ồn ào.`,
    },
    {
      title: () => 'Cơi nới ban công lấn không gian ngõ',
      text: (c) => `Hộ gia đình tại ${c.addr} cơi nới ban công lấn ra không gian ngõ, che khuất lối đi chung và ánh sáng của các nhà bên cạnh.`,
    },
    {
      title: () => 'Công trình quây tôn lấn chiếm ngõ',
      text: (c) => `Công trình tại ${c.addr} quây tôn lấn chiếm một nửa lòng ngõ, vật liệu xây dựng để bừa bãi, xe cứu hỏa không vào được.`,
    },
    {
      title: () => 'Xây nhà tạm trên đất công',
      text: (c) => `Có hiện tượng dựng nhà tạm, lán trại trên đất công cạnh ${pick(c.r, PLACES)}, đề nghị kiểm tra xử lý.`,
    },
  ],
  public_order: [
    {
      title: () => 'Karaoke gây ồn ban đêm',
      text: (c) => `Quán karaoke tại ${c.addr} hát to đến ${int(c.r, 1, 3)} giờ sáng, người dân xung quanh không thể ngủ được.`,
    },
    {
      title: () => 'Thanh niên tụ tập rú ga',
      text: (c) => `Nhóm thanh niên thường xuyên tụ tập, rú ga, lạng lách trên ${c.onStreet} sau 23 giờ, rất mất an toàn.`,
    },
    {
      title: () => 'Nghi có đánh bạc',
      text: (c) => `Có dấu hiệu đánh bạc, tụ tập đông người tại ${pick(c.r, PLACES)} trong ngõ ${c.lane} ${c.street}.`,
    },
    {
      title: () => 'Tiếng ồn ban đêm',
      text: (c) => `Nhà số ${c.num} ${c.onStreet} mở nhạc rất to vào ban đêm, tổ dân phố đã nhắc nhở nhiều lần nhưng không có chuyển biến.`,
    },
    {
      title: () => 'Trộm cắp xe máy',
      text: (c) => `Xảy ra trộm cắp xe máy liên tiếp tại khu vực ngõ ${c.lane} ${c.street}, đề nghị công an tăng cường tuần tra.`,
    },
  ],
  roads_lighting: [
    {
      title: (c) => `Hỏng đèn chiếu sáng ngõ ${c.lane} ${c.street}`,
      text: (c) => `Đèn chiếu sáng trong ngõ ${c.lane} ${c.street} bị hỏng ${int(c.r, 3, 20)} ngày nay, buổi tối rất tối, tiềm ẩn nguy cơ mất an toàn.`,
    },
    {
      title: () => 'Ổ gà trên mặt đường',
      text: (c) => `Mặt đường trước ${c.addr} xuất hiện ổ gà lớn, đã có người đi xe máy bị ngã.`,
    },
    {
      title: () => 'Vỡ nắp cống',
      text: (c) => `Nắp cống trên ${c.onStreet} đoạn gần ${pick(c.r, PLACES)} bị vỡ, rất nguy hiểm cho người đi đường.`,
    },
    {
      title: () => 'Cây xanh có nguy cơ đổ',
      text: (c) => `Cây xanh trên vỉa hè trước ${c.addr} bị nghiêng, rễ bật lên, có nguy cơ đổ khi mưa bão.`,
    },
    {
      title: () => 'Đèn tín hiệu giao thông hỏng',
      text: (c) => `Đèn tín hiệu giao thông tại ngã tư ${c.street} - ${c.street2} bị hỏng, ùn tắc kéo dài vào giờ cao điểm.`,
    },
  ],
  food_safety_health: [
    {
      title: () => 'Cơ sở thực phẩm mất vệ sinh',
      text: (c) => `Cơ sở bán ${pick(c.r, FOODS)} tại ${c.addr} chế biến thực phẩm ngay trên vỉa hè, mất vệ sinh, không rõ nguồn gốc nguyên liệu.`,
    },
    {
      title: () => 'Nghi ngộ độc thực phẩm',
      text: (c) => `Gia đình tôi ${int(c.r, 2, 5)} người bị đau bụng, nôn sau khi ăn ${pick(c.r, FOODS)} tại quán ở ${c.addr}.`,
    },
    {
      title: () => 'Phòng khám hoạt động không phép',
      text: (c) => `Phòng khám tư nhân ở ${c.addr} có dấu hiệu hoạt động không phép, quảng cáo chữa khỏi bệnh sai sự thật.`,
    },
    {
      title: () => 'Nhiều ca sốt xuất huyết',
      text: (c) => `Khu vực ngõ ${c.lane} ${c.street} có nhiều ca sốt xuất huyết, đề nghị phun thuốc diệt muỗi và vệ sinh môi trường.`,
    },
  ],
  education: [
    {
      title: (c) => `Lạm thu đầu năm học tại trường ${pick(c.r, SCHOOLS)}`,
      text: (c) => `Trường ${pick(c.r, SCHOOLS)} thu các khoản ngoài quy định đầu năm học, trong đó có ${pick(c.r, FEES)}.`,
    },
    {
      title: () => 'Tuyển sinh lớp 1 trái tuyến',
      text: (c) => `Con tôi có hộ khẩu thường trú tại ${c.addr} nhưng không được tuyển sinh vào lớp 1 trường ${pick(c.r, SCHOOLS)} đúng tuyến.`,
    },
    {
      title: () => 'Tiêu chí tuyển sinh lớp 6',
      text: (c) => `Đề nghị làm rõ tiêu chí tuyển sinh lớp 6 trường ${pick(c.r, SCHOOLS)} năm học ${pick(c.r, ['2025-2026', '2026-2027'])}.`,
    },
    {
      title: () => 'Học thêm bắt buộc',
      text: (c) => `Giáo viên chủ nhiệm lớp ${int(c.r, 1, 9)} trường ${pick(c.r, SCHOOLS)} yêu cầu học sinh học thêm tại nhà riêng.`,
    },
  ],
  administrative_procedure: [
    {
      title: () => 'Hồ sơ quá hạn chưa có kết quả',
      text: (c) =>
        `Tôi nộp hồ sơ ${pick(c.r, PROCEDURES)} tại bộ phận một cửa từ ngày ${int(c.r, 1, 28)}/${int(c.r, 1, 12)} đến nay đã quá hạn mà chưa nhận được kết quả.`,
    },
    {
      title: () => 'Yêu cầu bổ sung giấy tờ nhiều lần',
      text: (c) => `Cán bộ tiếp nhận hồ sơ ${pick(c.r, PROCEDURES)} yêu cầu bổ sung giấy tờ ${int(c.r, 2, 4)} lần, mỗi lần một kiểu.`,
    },
    {
      title: () => 'Thái độ cán bộ một cửa',
      text: (c) => `Thái độ của cán bộ bộ phận một cửa khi tôi làm thủ tục ${pick(c.r, PROCEDURES)} thiếu lịch sự, không hướng dẫn rõ ràng.`,
    },
  ],
  civil_status: [
    {
      title: () => 'Đăng ký khai sinh',
      text: () => 'Tôi đăng ký khai sinh cho con nhưng bị yêu cầu nộp thêm giấy tờ không có trong quy định.',
    },
    {
      title: () => 'Chứng thực bản sao chậm',
      text: (c) => `Thời gian chứng thực bản sao quá lâu, phải xếp hàng từ ${int(c.r, 6, 7)} giờ sáng mới đến lượt.`,
    },
    {
      title: () => 'Trích lục kết hôn',
      text: () => 'Đề nghị hướng dẫn thủ tục trích lục kết hôn và cấp bản sao giấy khai sinh cho người đang ở nước ngoài.',
    },
  ],
  other: [
    {
      title: () => 'Đề nghị lắp dụng cụ thể thao',
      text: (c) => `Đề nghị lắp thêm dụng cụ thể thao ngoài trời tại ${pick(c.r, ['vườn hoa Chi Lăng', 'hồ Thanh Nhàn', 'công viên Thống Nhất'])}.`,
    },
    {
      title: () => 'Cải tạo sân chơi trẻ em',
      text: (c) => `Đề nghị cải tạo sân chơi cho trẻ em tại khu tập thể ngõ ${c.lane} ${c.street}, các thiết bị đã hoen gỉ.`,
    },
    {
      title: () => 'Loa phát thanh quá to',
      text: () => 'Loa phát thanh của tổ dân phố đặt sát nhà tôi phát quá to vào 6 giờ sáng, đề nghị điều chỉnh hướng loa.',
    },
  ],
};

function fallbackTemplate(category: CategoryRef): Template {
  return {
    title: () => category.name,
    text: (c) => `Phản ánh về ${category.name.toLowerCase()} tại ${c.addr}: tình trạng kéo dài, đề nghị cơ quan chức năng kiểm tra, xử lý.`,
  };
}

/** Share of each category among citizens' feedback; categories not listed weigh 5. */
const CATEGORY_WEIGHT: Record<string, number> = {
  sidewalk_encroachment: 20,
  sanitation: 18,
  illegal_construction: 10,
  public_order: 12,
  roads_lighting: 14,
  food_safety_health: 7,
  education: 6,
  administrative_procedure: 6,
  civil_status: 3,
  other: 4,
};

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý', 'Đinh', 'Trịnh'];
const FAMILY_WEIGHT = [38, 11, 9.5, 7, 5, 2, 4.5, 4, 2, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5, 1, 1];
const MIDDLE_M = ['Văn', 'Đức', 'Minh', 'Quang', 'Hữu', 'Thành', 'Xuân', 'Tiến', 'Mạnh', 'Công'];
const MIDDLE_F = ['Thị', 'Thu', 'Ngọc', 'Thanh', 'Hồng', 'Minh', 'Phương', 'Thùy', 'Diệu', 'Khánh'];
const GIVEN_M = ['Hùng', 'Dũng', 'Tuấn', 'Nam', 'Sơn', 'Cường', 'Long', 'Quân', 'Thắng', 'Hải', 'Phong', 'Khoa', 'Đạt', 'Hiếu', 'Trung', 'Bình'];
const GIVEN_F = ['Lan', 'Hương', 'Mai', 'Hà', 'Linh', 'Trang', 'Thảo', 'Ngọc', 'Hằng', 'Nga', 'Yến', 'Huyền', 'Phương', 'Oanh', 'Vân', 'Hạnh'];
const MOBILE = [
  '090',
  '091',
  '093',
  '094',
  '096',
  '097',
  '098',
  '086',
  '088',
  '089',
  '032',
  '033',
  '034',
  '035',
  '036',
  '037',
  '038',
  '039',
  '070',
  '076',
  '077',
  '078',
  '079',
  '081',
  '082',
  '083',
  '084',
  '085',
  '056',
  '058',
];
/** Share of each intake channel; channels not listed weigh 0.05. */
const CHANNEL_WEIGHT: Record<string, number> = { ihanoi: 0.7, hotline_1022: 0.2, web_portal: 0.1 };

function weighted<T>(r: Rand, xs: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = r() * total;
  for (let i = 0; i < xs.length; i++) {
    x -= weights[i];
    if (x < 0) return xs[i];
  }
  return xs[xs.length - 1];
}

function personName(r: Rand): string {
  const female = r() < 0.5;
  return `${weighted(r, FAMILY, FAMILY_WEIGHT)} ${pick(r, female ? MIDDLE_F : MIDDLE_M)} ${pick(r, female ? GIVEN_F : GIVEN_M)}`;
}

function phone(r: Rand): string {
  const prefix = pick(r, MOBILE);
  let rest = '';
  for (let i = 0; i < 7; i++) rest += Math.floor(r() * 10);
  const f = r();
  if (f < 0.7) return prefix + rest;
  if (f < 0.9) return `${prefix}${rest[0]} ${rest.slice(1, 4)} ${rest.slice(4)}`;
  return `+84${prefix.slice(1)}${rest}`;
}

/** "Phường Bách Khoa" -> "Bách Khoa". */
const bareWardName = (name: string) => name.replace(/^(phường|xã|thị trấn)\s+/i, '').trim();

export interface GeneratorOptions {
  seed: number;
  externalIdPrefix: string;
  /** The intake channels to spread events over (codes). */
  channels: string[];
  /** Share of events that give no wardCode but name the ward in the address. */
  addressOnlyShare?: number;
  /** Share of events whose ward is outside the district. */
  unknownWardShare?: number;
}

/** Makes event i of a run; call with i = 0, 1, 2, ... in order (the PRNG is sequential). */
export function feedbackGenerator(categories: CategoryRef[], areas: AreaRef[], opts: GeneratorOptions): (i: number) => GeneratedEvent {
  if (categories.length === 0) throw new Error('no accepted category to generate feedback for');
  if (areas.length === 0) throw new Error('no area to generate feedback in');
  const r = prng(opts.seed);
  const addressOnly = opts.addressOnlyShare ?? 0.1;
  const unknownWard = opts.unknownWardShare ?? 0.01;
  const catWeights = categories.map((c) => CATEGORY_WEIGHT[c.code] ?? 5);
  if (opts.channels.length === 0) throw new Error('no intake channel to send feedback through');
  const chWeights = opts.channels.map((c) => CHANNEL_WEIGHT[c] ?? 0.05);
  const wards = areas.map((a) => ({ code: a.code, name: bareWardName(a.name) }));

  return (i: number): GeneratedEvent => {
    const category = weighted(r, categories, catWeights);
    const channel = weighted(r, opts.channels, chWeights);
    const roll = r();
    const foreign = roll < unknownWard ? pick(r, FOREIGN_WARDS) : null;
    const ward = foreign ? null : pick(r, wards);
    const wardName = foreign ? foreign.name : ward!.name;
    const streets = foreign ? foreign.streets : (STREETS_BY_WARD[wardName] ?? ANY_STREETS);
    const street = pick(r, streets);
    let street2 = pick(r, ANY_STREETS);
    if (street2 === street) street2 = 'Giải Phóng';
    const num = int(r, 1, 350);
    const lane = int(r, 2, 200);
    const inLane = r() < 0.4;
    let addr = inLane ? `số ${int(r, 1, 60)} ngõ ${lane} ${street}` : `số ${num} ${onStreet(street)}`;
    const c: Ctx = { r, street, onStreet: onStreet(street), street2, ward: wardName, num, lane, addr };

    const templates = TEMPLATES[category.code] ?? [fallbackTemplate(category)];
    const t = pick(r, templates);
    const description = t.text(c) + pick(r, ENDINGS);
    const title = r() < 0.8 ? t.title(c) : undefined;
    // The address agrees with the text: a lane the text names is where it happens.
    if (!inLane && description.includes(`ngõ ${lane} ${street}`)) addr = `ngõ ${lane} ${street}`;

    // Location: a ward code from the app's picker, or an address typed or dictated to the hotline.
    let kind: GeneratedEvent['locationKind'];
    const location: FeedbackBody['location'] = {};
    const wardPrefix = r() < 0.8 ? 'phường' : 'P.';
    let address = `${addr[0].toUpperCase()}${addr.slice(1)}, ${wardPrefix} ${wardName}, quận Hai Bà Trưng`;
    if (foreign) {
      kind = 'unknown_ward';
      // Outside the district only the address says where: a channel's unknown wardCode is refused (422).
      // The draw that once decided whether to send one stays, so the events after it are unchanged.
      r();
      address = `${addr[0].toUpperCase()}${addr.slice(1)}, phường ${wardName}`;
      location.address = address;
    } else if (roll < unknownWard + addressOnly) {
      kind = 'address_only';
      // Citizens often type without diacritics; the engine folds them.
      location.address = r() < 0.15 ? stripDiacritics(address) : address;
    } else {
      kind = 'ward_code';
      location.wardCode = ward!.code;
      if (r() < 0.9) location.address = address;
    }

    const citizenRoll = r();
    const citizen = citizenRoll < 0.1 ? undefined : { name: personName(r), phone: citizenRoll < 0.15 ? undefined : phone(r) };

    return {
      channel,
      body: {
        externalId: `${opts.externalIdPrefix}${i}`,
        category: category.code,
        ...(title ? { title } : {}),
        description,
        location,
        ...(citizen ? { citizen } : {}),
      },
      expectedArea: foreign ? null : ward!.code,
      locationKind: kind,
    };
  };
}
