"""Word lists behind detection: what is public, which names are also words, common first names.

Public institutions and the big cities are not personal data and stay in
quotes; a village, a district, an employer or a colleague's name is. Names
that are also ordinary words ("Роза" a rose, "Болат" steel) are proposed with
a note and a low confidence, never replaced on their own.
"""

from __future__ import annotations

# Matched as word prefixes, case-folded, in the text of an ORGANIZATION or LOCATION candidate.
PUBLIC_INSTITUTIONS = (
    "цон", "спеццон", "хқко", "хкко", "egov", "e-gov", "егов", "электронное правительство",
    "электронного правительства",
    "акимат", "әкімдік", "әкімшілі", "akimat", "министерств", "министрлі", "ministry", "правительств", "үкімет",
    "government", "парламент", "мажилис", "мәжіліс", "сенат", "прокуратур", "полици", "police", "суд",
    "налогов", "салық", "енпф", "бжзқ", "enpf", "фсмс", "фонд социального медицинского", "гцвп", "ұлттық банк",
    "национальный банк", "нацбанк", "national bank", "акорд", "ақорда", "eotinish", "e-otinish", "enbek", "цон-",
    "1414",
    "госкорпорац", "government for citizens", "правительство для граждан", "азаматтарға арналған үкімет",
    "нао", "отдел занятости", "центр занятости", "жұмыспен қамту", "миграционн", "көші-қон", "цсо",
    "департамент", "управление", "басқармасы", "ведомств", "загс", "ақхат", "гфсс", "соцзащит", "ссср", "союз",
    "whatsapp", "telegram", "google", "youtube", "zoom", "instagram", "facebook", "tiktok", "viber", "яндекс",
    "yandex", "2гис", "2gis", "microsoft", "apple", "android",
)

# Abbreviations that Natasha takes for organisations but that name no one (whole words only).
NOT_NAMES = ("иин", "бин", "жсн", "бсн", "эцп", "ецп", "ип", "тоо", "sms", "смс", "pin", "qr", "iin", "psc", "id", "ok",
             "kpi", "it", "pdf")

# Countries and the three cities of republican significance: naming them identifies no one. Regions and
# the other cities are in data/places_kz.txt and are proposed (regions and their centres as broad).
PUBLIC_PLACES = (
    "Казахстан Қазақстан Kazakhstan Россия Ресей Russia Кыргызстан Қырғызстан Узбекистан Өзбекстан Китай Қытай "
    "Туркменистан Түрікменстан Турция Түркия Германия Корея Европа Europe "
    "Алматы Алма-Ата Almaty Астана Astana Нур-Султан Шымкент Shymkent"
).split()
# City words beside a public place leave it public ("Алматы қаласы"); "Алматы облысы" is a region.
CITY_WORDS = ("қала", "город", "city")  # and "г."

# First names common in Kazakhstan (Kazakh, Russian) and in English transcripts, for Kazakh/English text.
FIRST_NAMES = (
    "Абай Абылай Айбек Айдана Айдар Айдос Айжан Айнур Айгерим Айгүл Айсулу Ақбота Алия Алихан Алмас Әлия Амир "
    "Анар Анна Арай Арман Асель Асет Асхат Ayan Аян Бауыржан Бекзат Берик Бақытжан Болат Ботагөз Гаухар Гүлмира "
    "Гүлнар Гульнара Гүлжан Дана Данияр Дамир Дариға Дархан Даурен Динара Диас Ерболат Ербол Ерлан Ерік Ержан "
    "Жандос Жанар Жансая Жанна Жұлдыз Зарина Зере Инкар Камила Канат Қанат Карина Кайрат Қайрат Куаныш Қуаныш "
    "Тимур Марат Арсен Алибек Нургуль Айнура Багдат Әлібек Мирас Ислам Рустам Руслан Лаура Мадина Маржан "
    "Мейрамбек Мурат Мұрат Нуржан Нұржан Нұрлан Нурлан Нурсултан Роза Салтанат Самал Сауле "
    "Сәуле Серик Серік Сымбат Талгат Талғат Томирис Ұлжан Эльмира Айбол Азамат Әсем Асем Ақерке Бибігүл Гульмира "
    "Александр Алексей Андрей Анастасия Владимир Виктор Галина Дмитрий Евгений Екатерина Елена Иван Игорь Ирина "
    "Ольга Павел Сергей Светлана Татьяна Наталья Николай Михаил Мария Марина Людмила Юлия Олег Вера Надежда "
    "Aigerim Aruzhan Daniyar Kamila Yerbol Madina Alikhan Askar Aidos Dana Dinara Nurlan Saule Zhanar Bolat Aliya "
    "John Mary James Sarah David Emma Michael Anna Peter Kate Tom Laura "
    # more Kazakh given names, in Kazakh and in Russian spelling
    "Абзал Адиль Әділ Әлихан Азат Айбар Айдын Алдияр Алтынбек Әмір Аманжол Асқар Асылбек Ахмет Әуезхан Бағдат "
    "Бақыт Бахыт Бейбіт Бейбит Бекжан Бексұлтан Ғалым Галым Дастан Дәулет Даулет Досжан Ерасыл Ерғали Еркебұлан "
    "Еркін Еркин Ернар Ертай Жанболат Жасұлан Жеңіс Жомарт Ілияс Ильяс Қасым Касым Мақсат Максат Мейіржан Мұхтар "
    "Мухтар Нұрбол Нурбол Нұрдәулет Нұрлыбек Олжас Өмірзақ Рахат Рүстем Рустем Санжар Сәкен Сакен Серікжан Сырым "
    "Темірлан Темирлан Төлеген Толеген Хамит Шыңғыс Чингиз Шерхан Әбілқайыр Бекболат Нұрасыл Ерназар Мадияр "
    "Айша Айым Ақмарал Акмарал Әйгерім Аружан Балжан Баян Бота Гүлнұр Гульнур Гүлшат Гульшат Гульжан Гүлназ Гульназ "
    "Дина Дильназ Жібек Жибек Зәуре Зауре Күлпаш Қарлығаш Назерке Назым Нұргүл Перизат Раушан Сабина Сания Шынар "
    "Іңкәр Меруерт Мөлдір Молдир Нұрай Аяулым Әсемгүл Ләззат Лаззат Индира Асия Жазира Қарақат Айдана Әдина "
    # more Russian and English given names
    "Антон Артём Артем Борис Вадим Валентина Валерий Василий Вячеслав Геннадий Григорий Денис Дарья Евгения Егор "
    "Зоя Илья Кирилл Константин Ксения Лариса Леонид Лидия Максим Нина Оксана Роман Станислав Тамара Виталий Юрий "
    "Яна Валентин Полина Софья Алина Кристина Вероника Виктория Елизавета Никита Артур Эдуард Ринат Рената Фёдор "
    "Степан Инна Раиса Алла Нелли Тимофей Георгий Маргарита Евгения "
    "William Robert Thomas Elizabeth Jennifer Susan Daniel Paul Chris Alex Sam Lucy Sophie Olivia Jack Harry George"
).split()

# Names that are also ordinary words: skeleton of the name → what the word means, for the note.
COMMON_WORD_NAMES = {
    "Роза": "rose (flower)", "Rose": "flower", "Вера": "faith", "Надежда": "hope", "Любовь": "love",
    "Лилия": "lily", "Слава": "glory", "Лев": "lion", "Мир": "peace/world", "Заря": "dawn", "Марс": "planet",
    "Болат": "steel (Kazakh болат)", "Bolat": "steel (Kazakh болат)", "Алтын": "gold", "Алмаз": "diamond",
    "Бақыт": "happiness", "Арман": "dream", "Нұр": "light", "Гүл": "flower", "Жұлдыз": "star", "Айгүл": "moon flower",
    "Жанар": "eyes, sight", "Ерік": "will", "Әділет": "justice", "Береке": "abundance", "Мейір": "kindness",
    "Сәуле": "ray of light", "Самал": "breeze (also a district)", "Жеңіс": "victory", "Дастан": "epic poem",
    "Шынар": "plane tree", "Толқын": "wave", "Раушан": "rose", "Қарлығаш": "swallow", "Меруерт": "pearl",
    "Бота": "camel calf", "Жібек": "silk", "Маржан": "coral", "Дана": "wise", "Тұрар": "will stay",
    "Hope": "hope", "Faith": "faith", "Grace": "grace", "Joy": "joy", "Will": "will", "Mark": "mark", "Bill": "bill",
    "May": "may", "June": "june", "Amber": "amber", "Iris": "iris", "Lily": "lily", "Daisy": "daisy",
    "Ruby": "ruby", "Dawn": "dawn", "Sunny": "sunny", "Summer": "summer", "Rob": "rob", "Pat": "pat",
}

# Words whose presence nearby says the common-word reading is meant.
COMMON_WORD_CONTEXT = (
    "цвет", "букет", "роз", "сад", "шип", "гүл", "flower", "garden", "bouquet", "petal", "болат", "сталь", "стал",
    "металл", "steel", "metal", "iron", "завод", "зауыт", "балқыт", "кузниц", "нож", "пышақ", "алтын", "gold",
    "мечт", "dream", "арман", "арманы", "надеюсь", "hope", "happiness", "бақытты", "жұлдыз", "star", "көз",
)

# Words just before a name that say it is one ("my cousin Timur", "Менің қызым Айгүл").
INTRODUCERS = (
    "called", "named", "name is", "cousin", "sister", "brother", "daughter", "son", "wife", "husband", "colleague",
    "neighbour", "neighbor", "friend", "mr", "mrs", "ms", "dr", "зовут", "имя", "дочь", "дочка", "сын", "жена", "муж",
    "коллега", "сосед", "соседка", "подруга", "друг", "қызым", "ұлым", "әйелім", "күйеуім", "атым", "есімім",
    "әріптесім", "көршім", "досым", "інім", "сіңлім", "ағам", "әпкем",
)

# Roles and generic labels: speaker labels that name nobody.
ROLE_LABELS = (
    "модератор", "жүргізуші", "moderator", "interviewer", "facilitator", "интервьюер", "ведущий", "ведущая",
    "участник", "участница", "қатысушы", "participant", "respondent", "респондент", "speaker", "observer",
    "наблюдатель", "бақылаушы", "голос", "voice", "unknown", "все", "бәрі", "all",
)
