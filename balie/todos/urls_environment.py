from django.urls import path

from balie.todos.views import client

urlpatterns = [
    path("taken/<uuid:todo>/", client.todo_open, name="open"),
]
