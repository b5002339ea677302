from django.urls import path

from conditions import feedback, share_links, views

app_name = "conditions"
urlpatterns = [
    path("", views.home, name="home"),
    path("conditions/", views.condition_list, name="condition_list"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition"),
    path("faqs/", views.faq_list, name="faq_list"),
    path("faqs/<slug:slug>/", views.faq_detail, name="faq"),
    path("symptoms/", views.symptom_list, name="symptom_list"),
    path("symptoms/<str:slug>/", views.symptom_detail, name="symptom"),
    path(
        "symptoms/<str:slug>/further-symptoms/",
        views.further_symptoms,
        name="further_symptoms",
    ),
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.symptom_suggestions, name="symptom_suggestions"),
    path("feedback/<int:article_id>/", feedback.page_feedback, name="page_feedback"),
    path("preview/<str:token>/", share_links.shared_preview, name="shared_preview"),
]
