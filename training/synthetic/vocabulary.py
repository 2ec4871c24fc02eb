"""Word lists for realistic synthetic text: names, places, agencies, unit topics, templates.

Names are common Indonesian given names and family or second names; any resemblance to a
real person is the product of a random draw from these lists.
"""

from __future__ import annotations

PROVINCES: tuple[str, ...] = (
    "Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Kepulauan Riau", "Jambi",
    "Sumatera Selatan", "Kepulauan Bangka Belitung", "Bengkulu", "Lampung", "DKI Jakarta",
    "Jawa Barat", "Banten", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur", "Bali",
    "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Kalimantan Barat", "Kalimantan Tengah",
    "Kalimantan Selatan", "Kalimantan Timur", "Kalimantan Utara", "Sulawesi Utara",
    "Gorontalo", "Sulawesi Tengah", "Sulawesi Barat", "Sulawesi Selatan", "Sulawesi Tenggara",
    "Maluku", "Maluku Utara", "Papua", "Papua Barat", "Papua Barat Daya", "Papua Tengah",
    "Papua Pegunungan", "Papua Selatan",
)  # fmt: skip

CENTRAL_AGENCIES: tuple[str, ...] = (
    "Kementerian Dalam Negeri", "Kementerian Keuangan", "Kementerian Kesehatan",
    "Kementerian Pendidikan Dasar dan Menengah", "Kementerian Agama",
    "Kementerian Pekerjaan Umum", "Kementerian Perhubungan", "Kementerian Pertanian",
    "Kementerian Perdagangan", "Kementerian Perindustrian", "Kementerian Sosial",
    "Kementerian Ketenagakerjaan", "Kementerian Lingkungan Hidup",
    "Kementerian Kelautan dan Perikanan", "Kementerian Hukum",
    "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
    "Kementerian Perencanaan Pembangunan Nasional", "Badan Kepegawaian Negara",
    "Lembaga Administrasi Negara", "Badan Pusat Statistik",
    "Badan Pengawasan Keuangan dan Pembangunan", "Badan Meteorologi, Klimatologi, dan Geofisika",
    "Badan Pengawas Obat dan Makanan", "Badan Riset dan Inovasi Nasional",
    "Arsip Nasional Republik Indonesia", "Badan Nasional Penanggulangan Bencana",
)  # fmt: skip

REGIONAL_PREFIXES: tuple[str, ...] = (
    "Pemerintah Provinsi",
    "Pemerintah Kabupaten",
    "Pemerintah Kota",
)
REGENCIES: tuple[str, ...] = (
    "Bogor", "Bandung", "Garut", "Cirebon", "Sukabumi", "Banyumas", "Kebumen", "Klaten",
    "Sleman", "Bantul", "Malang", "Jember", "Banyuwangi", "Kediri", "Sidoarjo", "Gresik",
    "Deli Serdang", "Langkat", "Agam", "Kampar", "Bengkalis", "Muara Enim", "Lampung Selatan",
    "Badung", "Gianyar", "Lombok Barat", "Kupang", "Sikka", "Kubu Raya", "Kotawaringin Timur",
    "Banjar", "Kutai Kartanegara", "Minahasa", "Gowa", "Bone", "Maros", "Konawe", "Halmahera",
    "Jayapura", "Merauke", "Sorong", "Manokwari", "Pidie", "Bireuen", "Tangerang", "Serang",
)  # fmt: skip

#: Unit topics and the technical competencies (by code) a unit of that topic needs most.
TOPICS: tuple[tuple[str, str, str], ...] = (
    ("Perencanaan dan Anggaran", "T.01", "T.02"),
    ("Keuangan", "T.02", "T.01"),
    ("Pengadaan Barang dan Jasa", "T.03", "T.12"),
    ("Kebijakan dan Kerja Sama", "T.04", "T.08"),
    ("Data dan Statistik", "T.05", "T.06"),
    ("Sistem Informasi", "T.06", "T.05"),
    ("Kepegawaian", "T.07", "T.09"),
    ("Hukum dan Perundang-undangan", "T.08", "T.04"),
    ("Umum dan Kearsipan", "T.09", "T.03"),
    ("Pengawasan Internal", "T.10", "T.02"),
    ("Pelayanan Publik", "T.11", "T.06"),
    ("Program dan Proyek", "T.12", "T.01"),
)
SUBTOPICS: tuple[str, ...] = (
    "Program", "Evaluasi", "Pelaporan", "Pengendalian", "Pengembangan", "Pelaksanaan",
    "Monitoring", "Tata Usaha", "Standardisasi", "Koordinasi",
)  # fmt: skip

#: Functional job family (rumpun jabatan fungsional) and pelaksana title per competency code.
FAMILIES: dict[str, tuple[str, str]] = {
    "T.01": ("Perencana", "Penyusun Rencana Kegiatan"),
    "T.02": ("Analis Pengelolaan Keuangan APBN", "Pengelola Keuangan"),
    "T.03": ("Pengelola Pengadaan Barang/Jasa", "Pengadministrasi Pengadaan"),
    "T.04": ("Analis Kebijakan", "Pengolah Bahan Kebijakan"),
    "T.05": ("Statistisi", "Pengolah Data"),
    "T.06": ("Pranata Komputer", "Operator Sistem Informasi"),
    "T.07": ("Analis Sumber Daya Manusia Aparatur", "Pengadministrasi Kepegawaian"),
    "T.08": ("Perancang Peraturan Perundang-undangan", "Pengadministrasi Hukum"),
    "T.09": ("Arsiparis", "Pengelola Arsip"),
    "T.10": ("Auditor", "Pengadministrasi Pengawasan"),
    "T.11": ("Analis Pelayanan Publik", "Petugas Layanan"),
    "T.12": ("Pengelola Proyek", "Pengadministrasi Program"),
}

MALE_NAMES: tuple[str, ...] = (
    "Agus", "Budi", "Dedi", "Eko", "Fajar", "Hendra", "Irfan", "Joko", "Rudi", "Slamet",
    "Andi", "Bambang", "Dimas", "Rizky", "Yusuf", "Ahmad", "Muhammad", "Arif", "Hadi", "Teguh",
    "Wahyu", "Gilang", "Taufik", "Rahmat", "Iwan", "Made", "Ketut", "Nyoman", "Yohanes",
    "Fransiskus", "Bayu", "Galih", "Reza", "Sigit", "Bagus", "Hasan", "Ilham", "Lukman", "Nur",
    "Sutrisno",
)  # fmt: skip
FEMALE_NAMES: tuple[str, ...] = (
    "Siti", "Sri", "Dewi", "Ratna", "Rina", "Ani", "Yuni", "Fitri", "Indah", "Lestari",
    "Nurul", "Putri", "Ayu", "Dian", "Wulan", "Maria", "Kartika", "Endang", "Eka", "Rahmawati",
    "Anisa", "Intan", "Mega", "Novi", "Retno", "Sari", "Tri", "Wahyuni", "Yuliana", "Nining",
    "Desi", "Fatimah", "Hana", "Laila", "Maya", "Nadia", "Rosa", "Suci", "Tuti", "Vera",
)  # fmt: skip
FAMILY_NAMES: tuple[str, ...] = (
    "Santoso", "Wijaya", "Saputra", "Hidayat", "Pratama", "Kurniawan", "Setiawan", "Nugroho",
    "Siregar", "Nasution", "Harahap", "Simanjuntak", "Sitompul", "Lubis", "Tanjung", "Hakim",
    "Susanto", "Gunawan", "Permana", "Hasibuan", "Wibowo", "Utomo", "Purnomo", "Syahputra",
    "Rahman", "Mahendra", "Halim", "Manurung", "Pardede", "Tambunan", "Sembiring", "Ginting",
    "Lumban Gaol", "Pangaribuan", "Silalahi", "Sinaga", "Wulandari", "Handayani", "Kusuma",
    "Anggraini", "Fitriani", "Maharani", "Puspitasari", "Rachmawati", "Oktaviani", "Safitri",
)  # fmt: skip

#: (aspect, description template, unit, target low, target high); quarterly share applies to
#: kuantitas rows, kualitas rows are a level (percent) every quarter.
INDICATORS: tuple[tuple[str, str, str, int, int], ...] = (
    ("kuantitas", "Jumlah dokumen {topic} yang diselesaikan", "dokumen", 8, 40),
    ("kuantitas", "Jumlah laporan {topic} yang disampaikan tepat waktu", "laporan", 4, 24),
    ("kuantitas", "Jumlah kegiatan {topic} yang terlaksana", "kegiatan", 4, 20),
    ("kuantitas", "Jumlah berkas {topic} yang diproses", "berkas", 40, 400),
    ("kuantitas", "Jumlah rekomendasi {topic} yang ditindaklanjuti", "rekomendasi", 4, 16),
    ("kualitas", "Persentase layanan {topic} sesuai standar", "persen", 80, 100),
    ("kualitas", "Tingkat kepuasan pengguna layanan {topic}", "persen", 75, 95),
)
RHK_TEMPLATES: tuple[str, ...] = (
    "Tersusunnya dokumen {topic} yang berkualitas",
    "Terlaksananya layanan {topic} sesuai standar",
    "Meningkatnya kualitas pengelolaan {topic}",
    "Tersedianya laporan {topic} yang akurat dan tepat waktu",
    "Terselesaikannya tindak lanjut {topic}",
    "Terwujudnya tata kelola {topic} yang akuntabel",
)
FEEDBACK_POSITIVE: tuple[str, ...] = (
    "Capaian target triwulan ini sudah baik, pertahankan.",
    "Kerja sama dengan tim sangat membantu penyelesaian kegiatan.",
    "Laporan disampaikan tepat waktu dan rapi.",
)
FEEDBACK_CONSTRUCTIVE: tuple[str, ...] = (
    "Realisasi masih di bawah target; mari susun rencana percepatan.",
    "Perlu meningkatkan ketepatan waktu penyampaian laporan.",
    "Mohon lebih aktif berkoordinasi dengan rekan satu tim.",
    "Kehadiran dan ketepatan waktu perlu diperbaiki.",
)
ASSESSORS: tuple[str, ...] = (
    "Pusat Penilaian Kompetensi ASN BKN",
    "UPT Penilaian Kompetensi Pegawai",
    "Assessment Center BPSDM",
)
