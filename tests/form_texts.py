"""The four forms' samples and the paragraphs their DOCX holds, for the DOCX and the PDF tests."""

from __future__ import annotations

SAMPLES = {
    "giay_moi": "giay_moi_so_ket_quy_i",
    "giay_gioi_thieu": "giay_gioi_thieu_lien_he_kinh_phi",
    "giay_nghi_phep": "giay_nghi_phep_nam_2023",
    "bien_ban": "bien_ban_hop_phong_chong_thien_tai",
}
HEADER = [
    "UBND HUYỆN CHI LĂNG",
    "ỦY BAN NHÂN DÂN\nXÃ Y TỊCH",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
]
# Every non-empty paragraph of each sample's DOCX in document order: header table, title, the
# form's own lines, body, signature row and Nơi nhận.
TEXTS = {
    "giay_moi": [
        *HEADER,
        "Số: 05/GM-UBND",
        "Y Tịch, ngày 06 tháng 3 năm 2023",
        "GIẤY MỜI",
        "Về việc dự Hội nghị sơ kết công tác xây dựng nông thôn mới quý I năm 2023",
        "Ủy ban nhân dân xã Y Tịch trân trọng kính mời:",
        "- Đồng chí Bí thư Chi bộ, Trưởng thôn các thôn trên địa bàn xã;",
        "- Đại diện Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội xã;",
        "- Công chức chuyên môn thuộc Ủy ban nhân dân xã.",
        "Tới dự: Hội nghị sơ kết công tác xây dựng nông thôn mới quý I, triển khai nhiệm vụ quý II"
        " năm 2023.",
        "Thời gian: 07 giờ 30 phút, ngày 10 tháng 3 năm 2023",
        "Địa điểm: Hội trường Ủy ban nhân dân xã Y Tịch",
        "Chủ trì: Đồng chí Vương Văn Sơn - Chủ tịch Ủy ban nhân dân xã",
        "Đề nghị Trưởng thôn các thôn mang theo báo cáo kết quả thực hiện các tiêu chí nông thôn"
        " mới của thôn quý I năm 2023.",
        "Giao Văn phòng - Thống kê xã chuẩn bị hội trường, tài liệu phục vụ Hội nghị. Đề nghị các"
        " đại biểu đến dự đầy đủ, đúng thời gian./.",
        "Nơi nhận:",
        "- Như thành phần mời;",
        "- CT, PCT UBND xã;",
        "- Lưu: VT, VP.",
        "CHỦ TỊCH",
        "Vương Văn Sơn",
    ],
    "giay_gioi_thieu": [
        *HEADER,
        "Số: 12/GGT-UBND",
        "Y Tịch, ngày 20 tháng 3 năm 2023",
        "GIẤY GIỚI THIỆU",
        "Ủy ban nhân dân xã Y Tịch trân trọng giới thiệu:",
        "Ông (bà): Hoàng Thị Thu",
        "Chức vụ: Công chức Tài chính - Kế toán xã",
        "Được cử đến: Phòng Tài chính - Kế hoạch huyện Chi Lăng",
        "Về việc: Liên hệ, hoàn thiện hồ sơ đề nghị hỗ trợ kinh phí thực hiện xây dựng xã phù hợp"
        " với trẻ em năm 2023.",
        "Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành nhiệm vụ.",
        "Giấy này có giá trị đến hết ngày 31/03/2023./.",
        "Nơi nhận:",
        "- Như trên;",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Lộc Văn Thành",
    ],
    "giay_nghi_phep": [
        *HEADER,
        "Số: 03/GNP-UBND",
        "Y Tịch, ngày 08 tháng 3 năm 2023",
        "GIẤY NGHỈ PHÉP",
        "Xét Đơn đề nghị nghỉ phép ngày 01 tháng 3 năm 2023 của ông (bà) Lò Văn Minh,",
        "Chủ tịch Ủy ban nhân dân xã Y Tịch cấp cho:",
        "Ông (bà): Lò Văn Minh",
        "Chức vụ: Công chức Địa chính - Xây dựng - Nông nghiệp và Môi trường",
        "Đơn vị công tác: Ủy ban nhân dân xã Y Tịch",
        "Nghỉ phép năm 2023 trong thời gian 05 ngày, kể từ ngày 13 tháng 3 năm 2023 đến hết ngày"
        " 17 tháng 3 năm 2023",
        "Tại: thôn Khòn Cuống, xã Y Tịch, huyện Chi Lăng, tỉnh Lạng Sơn./.",
        "Xác nhận của cơ quan, tổ chức\nhoặc chính quyền địa phương\nnơi nghỉ phép",
        "(Ký tên, đóng dấu)",
        "CHỦ TỊCH",
        "Vương Văn Sơn",
        "Nơi nhận:",
        "- Ông Lò Văn Minh;",
        "- Văn phòng - Thống kê xã;",
        "- Lưu: VT.",
    ],
    "bien_ban": [
        *HEADER,
        "Số: 02/BB-UBND",
        "BIÊN BẢN",
        "Họp triển khai kế hoạch phòng, chống thiên tai năm 2023",
        "Thời gian bắt đầu: 08 giờ 00 phút, ngày 10 tháng 3 năm 2023",
        "Địa điểm: Hội trường Ủy ban nhân dân xã Y Tịch",
        "Thành phần tham dự:",
        "- Ông Vương Văn Sơn - Chủ tịch UBND xã, Trưởng Ban Chỉ huy phòng, chống thiên tai và tìm"
        " kiếm cứu nạn xã;",
        "- Ông Lộc Văn Thành - Phó Chủ tịch UBND xã;",
        "- Các thành viên Ban Chỉ huy phòng, chống thiên tai và tìm kiếm cứu nạn xã;",
        "- Trưởng thôn 11 thôn trên địa bàn xã.",
        "Chủ trì (chủ tọa): Ông Vương Văn Sơn - Chủ tịch UBND xã",
        "Thư ký (người ghi biên bản): Lò Thị Lan - Công chức Văn phòng - Thống kê xã",
        "Nội dung (theo diễn biến cuộc họp/hội nghị/hội thảo):",
        "I. ĐỒNG CHÍ CHỦ TỊCH UBND XÃ QUÁN TRIỆT MỤC ĐÍCH, YÊU CẦU CỦA CUỘC HỌP",
        "Năm 2022, trên địa bàn xã xảy ra 02 đợt mưa lớn gây sạt lở taluy dương tại thôn Khòn"
        " Cuống và thôn Làng Cập, làm hư hỏng 03 nhà ở của nhân dân. Để chủ động ứng phó trong"
        " năm 2023, các thành viên Ban Chỉ huy cần nắm chắc địa bàn được phân công, rà soát các"
        " điểm có nguy cơ sạt lở, ngập úng.",
        "II. Ý KIẾN THẢO LUẬN",
        "- Ông Lộc Văn Thành đề nghị bổ sung phao cứu sinh, áo phao cho lực lượng xung kích các"
        " thôn;",
        "- Trưởng thôn Làng Cập đề nghị sớm khơi thông rãnh thoát nước đoạn qua khu dân cư trước"
        " mùa mưa bão.",
        "III. KẾT LUẬN CỦA CHỦ TỌA",
        "Giao Văn phòng - Thống kê xã tham mưu ban hành Kế hoạch phòng, chống thiên tai năm 2023"
        " trước ngày 20/3/2023; các thôn tổ chức ra quân khơi thông cống rãnh, hoàn thành trong"
        " tháng 4 năm 2023.",
        "Cuộc họp kết thúc vào 10 giờ 30 phút, ngày 10 tháng 3 năm 2023./.",
        "THƯ KÝ",
        "CHỦ TỌA",
        "Lò Thị Lan",
        "Vương Văn Sơn",
        "Nơi nhận:",
        "- TT Đảng ủy, TT HĐND xã (B/c);",
        "- Thành viên Ban Chỉ huy PCTT và TKCN xã;",
        "- Lưu: VT.",
    ],
}
