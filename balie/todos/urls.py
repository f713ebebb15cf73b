from django.urls import path

from balie.todos.views import client

urlpatterns = [
    path("taken/", client.todo_list, name="list"),
]
