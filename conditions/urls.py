from django.urls import path

app_name = "conditions"
urlpatterns = []
