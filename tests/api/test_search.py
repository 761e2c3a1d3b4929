"""Search (R2.4, Art. 16.2.c): full text over datasets, databases and
services, insensitive to Vietnamese diacritics and case, with filters,
paging, best matches first, and never showing what the caller may not see.

The diacritic tests run against the demo catalog (scripts/demo-data), which
`./stack test` does not load: the fixture `demo_catalog` loads it."""

import time

from catalog_helpers import (actor, all_pages, create_dataset, demo_catalog,  # noqa: F401
                             listed_database, published_dataset, record_assessment,
                             unique)



def search_all(api, q, token=None, **params):
    """Every result over all pages, in order."""
    return all_pages(api, "search", token, q=q, **params)


def keys(items):
    return [(i["type"], i["id"]) for i in items]


def hold_the_minute(seconds_needed):
    """Waits, if need be, for a minute with seconds_needed left in it and
    returns it: the catalog's workers remember words' estimates until the
    minute ends (docs/catalog.md), and a ranking may change when they are
    read again. Compare rankings within one minute of this machine's clock,
    the server's."""
    if time.time() % 60 > 60 - seconds_needed:
        time.sleep(60 - time.time() % 60 + 0.5)
    return int(time.time() // 60)


def test_index_folds_case_and_diacritics_in_its_word_column(db):
    assert db("SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
              "WHERE TABLE_SCHEMA = 'datashare' AND TABLE_NAME = 'search_terms' "
              "AND COLUMN_NAME = 'term'") == [("term", "utf8mb4_uca1400_ai_ci")]
    assert db("SELECT 'ĐẤT' = 'dat' COLLATE utf8mb4_uca1400_ai_ci, "
              "'đất' = 'dạt' COLLATE utf8mb4_uca1400_ai_ci") == [("1", "1")]
    # The FULLTEXT index the word index replaced is gone (0008).
    assert db("SELECT COUNT(*) FROM information_schema.STATISTICS "
              "WHERE TABLE_SCHEMA = 'datashare' AND INDEX_TYPE = 'FULLTEXT'") == [("0",)]


def test_each_word_of_a_document_is_indexed_once_with_title_words_first(api, db, actor):
    a = actor("SR")
    word = unique("Sổ").split()[-1].replace("-", "")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"],
                        title=f"Sổ mục kê {word}", description=f"Sổ {word} và sổ phụ.",
                        classification="open")
    doc = db("SELECT id FROM search_documents WHERE doc_type = 'dataset' AND ref_id = %s",
             (ds["id"],))[0][0]
    rows = dict(db("SELECT term, weight FROM search_terms WHERE doc_id = %s", (doc,)))
    # "Sổ"/"sổ" are one word to the collation: one row, the title's weight.
    assert sum(1 for t in rows if t.lower() in ("sổ", "so")) == 1
    assert int(rows["mục"]) >= 600 and int(rows["và"]) < 600
    assert int(db("SELECT COUNT(*) FROM search_terms WHERE doc_id = %s AND term = %s",
                  (doc, word.lower()))[0][0]) == 1


def doc_words(db, doc):
    """The document's words column as the set of its keys."""
    raw = db("SELECT words FROM search_documents WHERE id = %s", (doc,))[0][0]
    raw = raw.decode() if isinstance(raw, (bytes, bytearray)) else raw
    assert raw == "" or (raw.startswith(" ") and raw.endswith(" ")), raw
    return raw.split(" ")[1:-1] if raw else []


def term_keys(db, doc):
    """The collation keys of the document's rows in search_terms."""
    return [k for (k,) in db("SELECT HEX(WEIGHT_STRING(term)) FROM search_terms "
                             "WHERE doc_id = %s", (doc,))]


def test_document_keeps_the_collation_keys_of_its_terms(api, db, actor):
    """Other words are tested on search_documents.words (0011): each of the
    document's terms, folded by the word column's collation, in hex."""
    a = actor("SR")
    word = unique("Đất").split()[-1].replace("-", "")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"],
                        title=f"Đất {word}", description="Đất đai, đất ở.",
                        classification="open")
    doc = db("SELECT id FROM search_documents WHERE doc_type = 'dataset' AND ref_id = %s",
             (ds["id"],))[0][0]
    keys_, terms = doc_words(db, doc), term_keys(db, doc)
    assert len(keys_) == len(set(keys_)) and sorted(keys_) == sorted(terms)
    dat = db("SELECT HEX(WEIGHT_STRING('dat' COLLATE utf8mb4_uca1400_ai_ci))")[0][0]
    assert dat in keys_ and len(terms) >= 4
    # A change writes the words again in its transaction.
    api.patch(f"datasets/{ds['id']}", a.token, json={"title": f"Rừng {word}",
                                                     "description": "Rừng."})
    assert dat not in doc_words(db, doc)
    assert db("SELECT HEX(WEIGHT_STRING('rung' COLLATE utf8mb4_uca1400_ai_ci))")[0][0] \
        in doc_words(db, doc)


def test_other_words_match_as_the_collation_folds_them_in_any_script(api, actor):
    """The walked word is the rarest; the others are found in the document's
    words exactly as the collation compares: case and diacritics in any
    script, ß as ss; a word never matches inside another."""
    a = actor("SR")
    db_id = listed_database(api, a.token)["id"]
    rare = unique("Hiem").split()[-1].replace("-", "")
    tag = rare[-6:]
    common = f"p{tag}"
    # The common word in two other documents: the query walks "rare".
    for n in range(2):
        create_dataset(api, a.token, db_id, title=f"{common} {n}")
    ds = create_dataset(api, a.token, db_id,
                        title=f"{rare} МОСКВА Straße ΑΘΉΝΑ",
                        description=f"{common}x x{common} bis")
    found = [("dataset", ds["id"])]
    for q in ("москва", "strasse", "αθηνα", "x" + common, "Bis"):
        assert keys(search_all(api, f"{rare} {q}", a.token)) == found, q
    # The document has "pTAGx" and "xpTAG", not "pTAG" (two other
    # documents have it): its key lies inside theirs, but not between spaces.
    assert len(search_all(api, common, a.token)) == 2
    assert search_all(api, f"{rare} {common}", a.token) == []


def test_admin_indexes_documents_written_with_sql(api, db, actor, admin):
    a = actor("SR")
    word = unique("Tramcan").split()[-1].replace("-", "")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"],
                        title=f"Trạm cân {word}", classification="open")
    doc = db("SELECT id FROM search_documents WHERE doc_type = 'dataset' AND ref_id = %s",
             (ds["id"],))[0][0]
    # As a bulk load with SQL leaves it: the document without its words.
    db("DELETE FROM search_terms WHERE doc_id = %s", (doc,))
    db("UPDATE search_documents SET words = '' WHERE id = %s", (doc,))
    assert search_all(api, f"tram can {word}", a.token) == []
    out = admin(["search", "index"])
    assert out.startswith("search: indexed ") and int(out.split()[2]) >= 1
    assert keys(search_all(api, f"tram can {word}", a.token)) == [("dataset", ds["id"])]
    assert doc_words(db, doc) and sorted(doc_words(db, doc)) == sorted(term_keys(db, doc))
    # Nothing is left to index: a second run indexes none, --all every one.
    assert admin(["search", "index"]).strip() == "search: indexed 0 documents"
    n_docs = int(db("SELECT COUNT(*) FROM search_documents")[0][0])
    assert admin(["search", "index", "--all"]).strip() == \
        f"search: indexed {n_docs} document{'' if n_docs == 1 else 's'}"
    assert keys(search_all(api, f"tram can {word}", a.token)) == [("dataset", ds["id"])]


def test_words_in_another_order_still_find_the_document(api, demo_catalog, admin_token):
    found = sorted(keys(search_all(api, "du lieu dan cu", admin_token)))
    assert found and sorted(keys(search_all(api, "dan cu du lieu", admin_token))) == found


def test_demo_catalog_has_200_datasets_across_20_agencies(demo_catalog, db):
    assert demo_catalog["datasets"] >= 200 and demo_catalog["agencies"] >= 20
    n = db("SELECT COUNT(DISTINCT b.agency_id), COUNT(*) FROM datasets d "
           "JOIN `databases` b ON b.id = d.database_id")
    assert int(n[0][0]) >= 20 and int(n[0][1]) >= 200


def test_dat_dai_finds_dat_dai_with_or_without_diacritics(api, demo_catalog, admin_token):
    minute = hold_the_minute(20)
    plain = search_all(api, "dat dai", admin_token)
    marked = search_all(api, "đất đai", admin_token)
    upper = search_all(api, "ĐẤT ĐAI", admin_token)
    assert int(time.time() // 60) == minute, "the searches outlasted their minute"
    assert keys(plain) == keys(marked) == keys(upper)
    titles = {i["title"] for i in plain}
    assert "Cơ sở dữ liệu đất đai" in titles
    assert {"type": "database", "title": "Cơ sở dữ liệu đất đai"}.items() <= \
        next(i for i in plain if i["title"] == "Cơ sở dữ liệu đất đai").items()
    # The public finds the open land data too.
    public = {i["title"] for i in search_all(api, "dat dai")}
    assert "Quy hoạch sử dụng đất" in public


def test_du_lieu_dan_cu_finds_du_lieu_dan_cu(api, demo_catalog, actor):
    other = actor("SR")
    found = search_all(api, "du lieu dan cu", other.token)
    assert "Dữ liệu dân cư" in {i["title"] for i in found}
    public = search_all(api, "du lieu dan cu")
    assert "Thống kê dữ liệu dân cư theo đơn vị hành chính" in {i["title"] for i in public}
    assert "Dữ liệu dân cư" not in {i["title"] for i in public}  # shared, not open


def test_y_te_finds_co_so_y_te_first(api, demo_catalog):
    found = search_all(api, "y te")
    assert found[0]["title"] == "Cơ sở y tế"
    assert all(i["visibility"] == "public" for i in found)
    assert [i["score"] for i in found] == sorted((i["score"] for i in found), reverse=True)
    # "an" is in InnoDB's default stopword list; the index has none.
    assert any("Tuy An" in i["title"] for i in search_all(api, "tuy an"))


def test_restricted_data_never_shows_to_the_public_or_another_agency(api, db, actor,
                                                                     admin_token):
    owner, other = actor("SR"), actor("SR")
    word = unique("Hồsơmật").split()[-1].replace("-", "")
    secret = published_dataset(api, owner.token, classification="restricted",
                               title=unique("Hồ sơ đặc biệt"), keywords=[f"mật{word}"])
    q = f"mat{word}"
    assert keys(search_all(api, q, owner.token)) == [("dataset", secret["id"])]
    assert keys(search_all(api, q, admin_token)) == [("dataset", secret["id"])]
    assert search_all(api, q, other.token) == []
    assert search_all(api, q) == []
    # Nor any restricted demo data: a whole-catalog query as another agency.
    seen = search_all(api, "du lieu", other.token)
    assert seen and all(i["classification"] != "restricted" or
                        i["agency_id"] == other.agency_id for i in seen)
    assert all(i["classification"] == "open" for i in search_all(api, "du lieu")
               if i["type"] != "database")


def test_filters_by_type_kind_classification_agency_and_database(api, demo_catalog,
                                                                 admin_token, db):
    dbs = search_all(api, "du lieu", admin_token, type="database")
    assert dbs and all(i["type"] == "database" for i in dbs)
    shared = search_all(api, "du lieu", admin_token, kind="shared")
    assert shared and all(i["kind"] == "shared" for i in shared)
    opened = search_all(api, "du lieu", admin_token, classification="open")
    assert opened and all(i["classification"] == "open" for i in opened)
    syt = int(db("SELECT id FROM agencies WHERE code = 'SYT'")[0][0])
    mine = search_all(api, "y te", admin_token, agency_id=syt)
    assert mine and all(i["agency_id"] == syt for i in mine)
    one_db = mine[0]["database_id"]
    assert all(i["database_id"] == one_db
               for i in search_all(api, "y te", admin_token, database_id=one_db))
    assert api.get("search", admin_token, params={"q": "x", "type": "file"}).status_code == 422


def test_pages_follow_the_relevance_order_without_gaps(api, demo_catalog):
    minute = hold_the_minute(20)
    whole = search_all(api, "tuy hoa")
    assert len(whole) > 12
    paged, cursor = [], None
    while True:
        p = {"q": "tuy hoa", "limit": 5}
        if cursor:
            p["cursor"] = cursor
        body = api.get("search", params=p).json()
        paged += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert int(time.time() // 60) == minute, "the pages outlasted their minute"
    assert keys(paged) == keys(whole)
    assert api.get("search", params={"q": "tuy hoa", "cursor": "djE6MTA"}).status_code == 422


def test_query_operators_are_plain_text(api, demo_catalog):
    minute = hold_the_minute(20)
    plain = keys(search_all(api, "bang gia dat"))
    assert plain
    odd = keys(search_all(api, '"bảng" -giá +(đất*) ~<>@'))
    assert int(time.time() // 60) == minute, "the searches outlasted their minute"
    assert odd == plain
    for bad in ("***", "", "x" * 201, " ".join(["a"] * 17)):
        r = api.get("search", params={"q": bad})
        assert r.status_code == 422, bad
        assert r.json()["error"]["details"][0]["field"] == "q"
    assert api.get("search").status_code == 422
    # Sixteen words is the most, each required: a statement of its own.
    assert api.get("search", params={"q": " ".join(["dat"] * 16)}).status_code == 200
    # Odd characters are words or separators, never a server error.
    for odd in ("😀 đất", "\u0301", "_", "a_b €", "ʼ"):
        assert api.get("search", params={"q": odd}).status_code == 200, odd


def test_documents_follow_changes_in_the_same_transaction(api, actor):
    a, other = actor("SR"), actor("SR")
    word = unique("Khoangsan").split()[-1].replace("-", "")
    ds = create_dataset(api, a.token, listed_database(api, a.token)["id"],
                        title=f"Khoáng sản {word}", classification="open")
    assert keys(search_all(api, f"khoang san {word}", a.token)) == [("dataset", ds["id"])]
    assert search_all(api, f"khoang san {word}") == []          # a draft
    record_assessment(api, a.token, ds["id"])
    api.post(f"datasets/{ds['id']}/publish", a.token)
    assert keys(search_all(api, f"khoang san {word}")) == [("dataset", ds["id"])]
    api.patch(f"datasets/{ds['id']}", a.token, json={"title": f"Mỏ đá {word}"})
    assert search_all(api, f"khoang san {word}") == []
    assert keys(search_all(api, f"mo da {word}", other.token)) == [("dataset", ds["id"])]
    api.post(f"datasets/{ds['id']}/withdraw", a.token)
    assert search_all(api, f"mo da {word}", other.token) == []


def test_every_worker_and_spelling_walks_the_same_word(api, actor):
    """The answer's order is the weights of the word the query walks, the
    rarest by the estimates the workers remember together until the
    minute ends, by folded spelling. So after the words' counts cross,
    "da… db…" and "đa… đb…" (one query, two spellings, answered by any
    worker) still come in one order, the one of the minute."""
    minute = hold_the_minute(30)
    a = actor("SR")
    db_id = listed_database(api, a.token)["id"]
    tag = "".join(chr(ord("a") + int(c) % 26) for c in str(time.time_ns())[-7:])
    plain, marked = [f"da{tag}", f"db{tag}"], [f"đa{tag}", f"đb{tag}"]

    def dataset(title, description):
        create_dataset(api, a.token, db_id, title=title, description=description)

    # x has the first word in its title, y the second: which word is
    # walked decides which of them comes first.
    dataset(f"{marked[0]} tiêu đề", f"nội dung {marked[1]}")
    dataset(f"{marked[1]} tiêu đề", f"nội dung {marked[0]}")
    dataset(f"chỉ {marked[1]}", "một từ")
    # 2 and 3 rows: the first word is the rarer, and so remembered.
    q_plain, q_marked = " ".join(plain), " ".join(marked)
    before = [keys(search_all(api, q_plain, a.token)) for _ in range(8)]
    assert all(b == before[0] for b in before) and len(before[0]) == 2
    for n in range(3):
        dataset(f"chỉ {marked[0]} {n}", "một từ")
    # 5 and 3 rows: now the second word is the rarer, but the minute's
    # estimates still hold, for both spellings, on every worker.
    after = [keys(search_all(api, q, a.token))
             for _ in range(8) for q in (q_plain, q_marked)]
    assert int(time.time() // 60) == minute, "the test outlasted its minute"
    assert all(k == before[0] for k in after), (before[0], after)
