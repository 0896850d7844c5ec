"""Time expressions in a question as (since, until, phrase): each form, the rules that keep numbers and plans out
of the filter, and the forms that were there before."""

from datetime import date

import pytest

from assistant.timeframe import timeframe

AS_OF = date(2022, 10, 20)
D = date


def _check(question: str, as_of: date | None, since: date | None, until: date | None, phrase: str) -> None:
    frame = timeframe(question, as_of)
    assert frame is not None, question
    assert frame[:2] == (since, until)
    assert frame[2] == phrase and phrase in question  # the user's own words


@pytest.mark.parametrize(
    ("question", "since", "until", "phrase"),
    [
        ("What did North Korea do about its nuclear program between 2005 and 2007?", D(2005, 1, 1), D(2007, 12, 31),
         "between 2005 and 2007"),
        ("What happened from 2005 to 2007?", D(2005, 1, 1), D(2007, 12, 31), "from 2005 to 2007"),
        ("What happened from 2005 until 2007?", D(2005, 1, 1), D(2007, 12, 31), "from 2005 until 2007"),
        ("Who led the party 2005-2007?", D(2005, 1, 1), D(2007, 12, 31), "2005-2007"),
        ("Who led the party in 2005–2007?", D(2005, 1, 1), D(2007, 12, 31), "in 2005–2007"),
        ("Who led the party 2005 to 2007?", D(2005, 1, 1), D(2007, 12, 31), "2005 to 2007"),
        ("What changed between March 2005 and May 2006?", D(2005, 3, 1), D(2006, 5, 31),
         "between March 2005 and May 2006"),
        ("What changed from March 2005 to May 2006?", D(2005, 3, 1), D(2006, 5, 31), "from March 2005 to May 2006"),
        ("What changed from 5 March 2005 to 7 April 2005?", D(2005, 3, 5), D(2005, 4, 7),
         "from 5 March 2005 to 7 April 2005"),
        ("What changed between March 5, 2005 and April 2, 2005?", D(2005, 3, 5), D(2005, 4, 2),
         "between March 5, 2005 and April 2, 2005"),
        ("What changed from March to May 2005?", D(2005, 3, 1), D(2005, 5, 31), "from March to May 2005"),
        ("What changed from December to February 2006?", D(2005, 12, 1), D(2006, 2, 28),
         "from December to February 2006"),
        ("What changed from Sept. 2005 to Jan. 2006?", D(2005, 9, 1), D(2006, 1, 31), "from Sept. 2005 to Jan. 2006"),
        ("Was there a war from 2005 to 2007 or in 2010?", D(2005, 1, 1), D(2007, 12, 31), "from 2005 to 2007"),
    ],
)
def test_ranges_run_from_the_start_of_one_end_to_the_end_of_the_other(question, since, until, phrase):
    _check(question, None, since, until, phrase)


@pytest.mark.parametrize(
    ("question", "since", "until", "phrase"),
    [
        ("What did Congress do in the 1990s?", D(1990, 1, 1), D(1999, 12, 31), "in the 1990s"),
        ("What did Congress do during the 2010s?", D(2010, 1, 1), D(2019, 12, 31), "during the 2010s"),
        ("Who ruled the '90s?", D(1990, 1, 1), D(1999, 12, 31), "the '90s"),
        ("Who ruled the ’80s?", D(1980, 1, 1), D(1989, 12, 31), "the ’80s"),
        ("Who ruled the 1980's?", D(1980, 1, 1), D(1989, 12, 31), "the 1980's"),
        ("What happened in the early 1990s?", D(1990, 1, 1), D(1993, 12, 31), "in the early 1990s"),
        ("What happened in the mid-1990s?", D(1994, 1, 1), D(1996, 12, 31), "in the mid-1990s"),
        ("What happened in the late 1990s?", D(1997, 1, 1), D(1999, 12, 31), "in the late 1990s"),
    ],
)
def test_decades(question, since, until, phrase):
    _check(question, AS_OF, since, until, phrase)


def test_a_two_digit_decade_is_the_recent_one_only_once_it_has_begun():
    _check("Music of the '20s", AS_OF, D(2020, 1, 1), AS_OF, "the '20s")  # cut at the as-of date
    _check("Music of the '20s", D(2015, 1, 1), D(1920, 1, 1), D(1929, 12, 31), "the '20s")
    _check("Music of the '20s", None, D(1920, 1, 1), D(1929, 12, 31), "the '20s")
    _check("Music of the '10s", None, D(2010, 1, 1), D(2019, 12, 31), "the '10s")


@pytest.mark.parametrize(
    ("question", "since", "until", "phrase"),
    [
        ("What did Apple launch in early 2010?", D(2010, 1, 1), D(2010, 4, 30), "in early 2010"),
        ("What did Apple launch in mid-2010?", D(2010, 5, 1), D(2010, 8, 31), "in mid-2010"),
        ("What did Apple launch in mid 2010?", D(2010, 5, 1), D(2010, 8, 31), "in mid 2010"),
        ("What did Apple launch late 2010?", D(2010, 9, 1), D(2010, 12, 31), "late 2010"),
        ("What did Apple launch in early March 2012?", D(2012, 3, 1), D(2012, 3, 10), "in early March 2012"),
        ("What did Apple launch in mid-March 2012?", D(2012, 3, 11), D(2012, 3, 20), "in mid-March 2012"),
        ("What did Apple launch in late February 2012?", D(2012, 2, 21), D(2012, 2, 29), "in late February 2012"),
    ],
)
def test_early_mid_and_late(question, since, until, phrase):
    _check(question, AS_OF, since, until, phrase)


@pytest.mark.parametrize(
    ("question", "since", "until", "phrase"),
    [
        ("What happened in the summer of 2010?", D(2010, 6, 1), D(2010, 8, 31), "in the summer of 2010"),
        ("What happened summer 2010?", D(2010, 6, 1), D(2010, 8, 31), "summer 2010"),
        ("What happened in spring 2011?", D(2011, 3, 1), D(2011, 5, 31), "in spring 2011"),
        ("What happened in the autumn of 2011?", D(2011, 9, 1), D(2011, 11, 30), "in the autumn of 2011"),
        ("What happened in the fall of 2011?", D(2011, 9, 1), D(2011, 11, 30), "in the fall of 2011"),
        ("What happened in winter 2009?", D(2009, 12, 1), D(2010, 2, 28), "in winter 2009"),
        ("What happened in the winter of 2011?", D(2011, 12, 1), D(2012, 2, 29), "in the winter of 2011"),
        ("What happened in winter 2009-10?", D(2009, 12, 1), D(2010, 2, 28), "in winter 2009-10"),
    ],
)
def test_seasons_are_northern_and_winter_runs_into_the_next_year(question, since, until, phrase):
    _check(question, AS_OF, since, until, phrase)


@pytest.mark.parametrize(
    ("question", "since", "until", "phrase"),
    [
        ("Sales in the first half of 2012?", D(2012, 1, 1), D(2012, 6, 30), "in the first half of 2012"),
        ("Sales in the second half of 2012?", D(2012, 7, 1), D(2012, 12, 31), "in the second half of 2012"),
        ("Sales in H1 2012?", D(2012, 1, 1), D(2012, 6, 30), "in H1 2012"),
        ("Sales in H2 2012?", D(2012, 7, 1), D(2012, 12, 31), "in H2 2012"),
        ("Profit in Q3 2019?", D(2019, 7, 1), D(2019, 9, 30), "in Q3 2019"),
        ("Profit in Q1 of 2019?", D(2019, 1, 1), D(2019, 3, 31), "in Q1 of 2019"),
        ("Profit in the third quarter of 2019?", D(2019, 7, 1), D(2019, 9, 30), "in the third quarter of 2019"),
        ("Profit in the fourth quarter of 2019?", D(2019, 10, 1), D(2019, 12, 31), "in the fourth quarter of 2019"),
        ("Profit in the last quarter of 2019?", D(2019, 10, 1), D(2019, 12, 31), "in the last quarter of 2019"),
    ],
)
def test_halves_and_quarters(question, since, until, phrase):
    _check(question, AS_OF, since, until, phrase)


@pytest.mark.parametrize(
    ("question", "since", "phrase"),
    [
        ("What changed over the past year?", D(2021, 10, 20), "over the past year"),
        ("What changed in the last year?", D(2021, 10, 20), "in the last year"),
        ("What changed in the past decade?", D(2012, 10, 20), "in the past decade"),
        ("What changed over the past two decades?", D(2002, 10, 20), "over the past two decades"),
        ("What changed over the past month?", D(2022, 9, 19), "over the past month"),
        ("What changed over the past week?", D(2022, 10, 13), "over the past week"),
        ("What changed in the last week?", D(2022, 10, 13), "in the last week"),
        ("What changed over the past few years?", D(2019, 10, 20), "over the past few years"),
        ("What changed in the last couple of years?", D(2020, 10, 20), "in the last couple of years"),
        ("What changed in the past 5 years?", D(2017, 10, 20), "in the past 5 years"),
        ("What changed over the last 18 months?", D(2021, 4, 10), "over the last 18 months"),
    ],
)
def test_stretches_back_from_the_as_of_date_end_a_day_after_it(question, since, phrase):
    _check(question, AS_OF, since, D(2022, 10, 21), phrase)


def test_stretches_back_need_an_as_of_date():
    for question in ("What changed over the past year?", "What changed in the past decade?",
                     "What changed in the last 5 years?", "Who won the past month?"):
        assert timeframe(question, None) is None
    assert timeframe("What changed over the past decade since 2014?", None)[2] == "since 2014"


def test_a_year_back_from_a_leap_day_lands_on_a_real_day():
    _check("What changed over the past year?", D(2020, 2, 29), D(2019, 2, 28), D(2020, 3, 1), "over the past year")


@pytest.mark.parametrize(
    "question",
    [
        "How did 2000 people vote?",
        "Did 1500 to 2500 people march?",  # numbers outside the years a news archive can mean
        "Who voted in 2005 and 2007?",  # two years, not a range: read as "in 2005" (checked below)
        "What sold Mar-2005?",  # a month, not March to the end of 2005
        "Profit in Q5 2019?",
        "Sales in H3 2012?",
        "What happened between 2007 and 2005?",
    ],
)
def test_what_is_not_a_range(question):
    frame = timeframe(question, None)
    assert frame is None or frame[1] - frame[0] < date(2006, 1, 1) - date(2005, 1, 1)


def test_two_years_joined_by_and_are_not_a_range():
    _check("Who voted in 2005 and 2007?", None, D(2005, 1, 1), D(2005, 12, 31), "in 2005")


def test_bare_numbers_are_not_dates():
    assert timeframe("How did 2000 people vote?", None) is None
    assert timeframe("How did 2000 people vote?", AS_OF) is None
    assert timeframe("Did 1500 to 2500 people march?", AS_OF) is None
    assert timeframe("What happened between 2007 and 2005?", None) is None


@pytest.mark.parametrize(
    "question",
    [
        "Which supermarkets plan to merge in 2024?",
        "Who will build it between 2025 and 2030?",
        "What is planned for the 2030s?",
        "What is planned for early 2024?",
        "What is planned for the summer of 2023?",
        "What is planned for Q1 2023?",
        "What is planned for the first half of 2023?",
    ],
)
def test_periods_after_the_as_of_date_are_plans_and_filter_nothing(question):
    assert timeframe(question, AS_OF) is None


def test_periods_that_run_past_the_as_of_date_are_cut_there():
    _check("Who will build it between 2020 and 2030?", AS_OF, D(2020, 1, 1), AS_OF, "between 2020 and 2030")
    _check("What happened in the 2020s?", AS_OF, D(2020, 1, 1), AS_OF, "in the 2020s")
    _check("What happened in winter 2022?", D(2022, 12, 10), D(2022, 12, 1), D(2022, 12, 10), "in winter 2022")
    _check("What happened in late 2022?", AS_OF, D(2022, 9, 1), AS_OF, "in late 2022")


def test_the_longest_reading_wins_over_the_plain_year():
    assert timeframe("Was there fighting between 2005 and 2007?", AS_OF)[2] == "between 2005 and 2007"
    assert timeframe("Was there fighting in the summer of 2010?", AS_OF)[2] == "in the summer of 2010"
    assert timeframe("Was there fighting in the first half of 2012?", AS_OF)[2] == "in the first half of 2012"
    assert timeframe("Was there fighting in 2005-2007?", AS_OF)[2] == "in 2005-2007"


def test_a_direction_word_applies_to_the_new_periods_too():
    _check("What was said before the summer of 2014?", None, None, D(2014, 5, 31), "before the summer of 2014")
    _check("What was said after Q3 2019?", None, D(2019, 10, 1), None, "after Q3 2019")


@pytest.mark.parametrize(
    ("question", "as_of", "since", "until", "phrase"),
    [
        ("Who won this week?", D(2022, 10, 6), D(2022, 9, 29), D(2022, 10, 7), "this week"),
        ("Who won last week?", D(2022, 10, 6), D(2022, 9, 22), D(2022, 10, 7), "last week"),
        ("Who won last year?", AS_OF, D(2021, 1, 1), D(2021, 12, 31), "last year"),
        ("Who won this year?", AS_OF, D(2022, 1, 1), AS_OF, "this year"),
        ("Which supermarkets merged in 2021?", AS_OF, D(2021, 1, 1), D(2021, 12, 31), "in 2021"),
        ("Who won in March 2015?", None, D(2015, 3, 1), D(2015, 3, 31), "in March 2015"),
        ("Who won on 5 March 2015?", None, D(2015, 3, 5), D(2015, 3, 5), "5 March 2015"),
        ("Who won since 2014?", None, D(2015, 1, 1), None, "since 2014"),
        ("Who won by 2014?", None, None, D(2013, 12, 31), "by 2014"),
        ("What was said before the ceasefire of August 2014?", None, None, D(2014, 7, 31),
         "before the ceasefire of August 2014"),
    ],
)
def test_the_forms_that_were_there_before(question, as_of, since, until, phrase):
    _check(question, as_of, since, until, phrase)


def test_a_week_of_a_named_month_is_not_counted_back_from_the_as_of_date():
    _check("Who won in the last week of March 2015?", AS_OF, D(2015, 3, 1), D(2015, 3, 31), "of March 2015")
